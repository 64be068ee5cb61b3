import { sql } from 'slonik';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { LOCKS, lockKey, tryAdvisoryXactLock } from '../../src/db/locks.js';
import { readSetting, writeSetting } from '../../src/db/settings.js';
import { defineQuery } from '../../src/db/sql-files.js';
import { withTransaction } from '../../src/db/tx.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
const Level = z.object({ level: z.string(), read_only: z.string() });

describe('withTransaction', () => {
  it('sets the isolation level and read-only mode', async () => {
    const seen = await withTransaction(
      db.pool,
      { isolation: 'repeatable read', readOnly: true },
      (tx) =>
        tx.one(sql.type(Level)`
          SELECT current_setting('transaction_isolation') AS level,
                 current_setting('transaction_read_only') AS read_only`),
    );
    expect(seen).toEqual({ level: 'repeatable read', read_only: 'on' });
    const plain = await withTransaction(db.pool, {}, (tx) =>
      tx.one(sql.type(Level)`
        SELECT current_setting('transaction_isolation') AS level,
               current_setting('transaction_read_only') AS read_only`),
    );
    expect(plain).toEqual({ level: 'read committed', read_only: 'off' });
  });

  it('rolls everything back when the callback throws', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    await expect(
      withTransaction(db.pool, {}, async (tx) => {
        await writeSetting(tx, 'rollback-probe', { written: true }, now);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(
      await readSetting(db.pool, 'rollback-probe', z.object({ written: z.boolean() }), null),
    ).toBeNull();
  });

  it('refuses writes in a read-only transaction', async () => {
    await expect(
      withTransaction(db.pool, { readOnly: true }, (tx) =>
        writeSetting(tx, 'x', {}, new Date('2026-11-22T10:00:00Z')),
      ),
    ).rejects.toThrow(/read-only transaction/);
  });
});

describe('advisory locks', () => {
  it('gives a transaction-scoped lock to one transaction at a time', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstLocked!: () => void;
    const locked = new Promise<void>((resolve) => (firstLocked = resolve));
    const first = withTransaction(db.pool, {}, async (tx) => {
      const got = await tryAdvisoryXactLock(tx, LOCKS.reconcile);
      firstLocked();
      await held;
      return got;
    });
    await locked;
    const second = await withTransaction(db.pool, {}, (tx) =>
      tryAdvisoryXactLock(tx, LOCKS.reconcile),
    );
    release();
    expect(await first).toBe(true);
    expect(second).toBe(false);
    // Released at commit: the next transaction gets it.
    expect(
      await withTransaction(db.pool, {}, (tx) => tryAdvisoryXactLock(tx, LOCKS.reconcile)),
    ).toBe(true);
  });

  it('derives distinct signed 64-bit keys from names', () => {
    expect(lockKey('a')).not.toBe(lockKey('b'));
    expect(lockKey('a')).toBe(lockKey('a'));
    for (const key of [lockKey('x'), LOCKS.workspace('8c0c3f4e-4c4f-4a43-9d4c-8b2c1f1f1f1f')]) {
      expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
    }
  });
});

describe('queries from sql/ files', () => {
  it('round-trips a setting through the named queries', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    const schema = z.object({ reconciliation_paused: z.boolean() });
    expect(await readSetting(db.pool, 'prebuilds', schema, null)).toEqual({
      reconciliation_paused: false,
    });
    await writeSetting(db.pool, 'prebuilds', { reconciliation_paused: true }, now);
    expect(await readSetting(db.pool, 'prebuilds', schema, null)).toEqual({
      reconciliation_paused: true,
    });
  });

  it('validates rows against the query schema', async () => {
    const wrong = defineQuery<{ key: string }>('GetSetting', z.object({ key: z.number() }));
    await expect(wrong.one(db.pool, { key: 'prebuilds' })).rejects.toThrow(
      /do not conform with the schema/,
    );
  });

  it('names a missing or unknown parameter', () => {
    const query = defineQuery<Record<string, string>>('GetSetting', z.object({}));
    expect(() => query.token({})).toThrow('SQL query "GetSetting": parameter :key has no value');
    expect(() => query.token({ key: 'a', kye: 'b' })).toThrow(
      'SQL query "GetSetting" has no parameter :kye',
    );
  });
});
