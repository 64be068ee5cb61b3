import { randomUUID } from 'node:crypto';

import { sql } from 'slonik';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { createDbPool } from '../../src/db/pool.js';
import { prepareByName } from '../../src/db/prepared.js';
import { withTransaction } from '../../src/db/tx.js';
import { silentLogger } from '../../src/log/logger.js';
import { claimPrebuiltWorkspace } from '../../src/prebuilds/claim.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
const Prepared = z.object({ name: z.string() });
const preparedNames = sql.type(Prepared)`SELECT name FROM pg_prepared_statements ORDER BY name`;

describe('named prepared statements', () => {
  it('sends a registered text by its name, parsed once per connection; others unnamed', async () => {
    prepareByName('test_ratio', 'SELECT 100 / $1::int AS v');
    const pool = await createDbPool(db.url, { logger: silentLogger(), maximumPoolSize: 1 });
    try {
      await pool.connect(async (connection) => {
        const ratio = (n: number) =>
          connection.oneFirst(sql.type(z.object({ v: z.number() }))`SELECT 100 / ${n}::int AS v`);
        expect(await ratio(4)).toBe(25);
        expect(await ratio(5)).toBe(20);
        // A failed execution (division by zero) leaves the statement usable.
        await expect(ratio(0)).rejects.toThrow(/division by zero/);
        expect(await ratio(10)).toBe(10);
        await connection.query(sql.unsafe`SELECT 1 AS unnamed`);
        const names = (await connection.any(preparedNames)).map((row) => row.name);
        expect(names).toContain('test_ratio');
        expect(names.filter((name) => name === 'test_ratio')).toHaveLength(1);
        expect(names.every((name) => !name.includes('unnamed'))).toBe(true);
      });
    } finally {
      await pool.end();
    }
  });

  it('the claim statement goes out prepared, inside a transaction as the API runs it', async () => {
    const pool = await createDbPool(db.url, { logger: silentLogger(), maximumPoolSize: 1 });
    try {
      const request = {
        presetId: randomUUID(),
        ownerId: randomUUID(),
        name: 'nobody-claims',
        autostartSchedule: null,
        nextStartAt: null,
        ttlMs: null,
        now: new Date(),
      };
      for (let i = 0; i < 7; i++) {
        // No such preset: no row, whether planned custom (first five) or generic (after).
        const claimed = await withTransaction(pool, {}, (tx) =>
          claimPrebuiltWorkspace(tx, request),
        );
        expect(claimed).toBeNull();
      }
      const names = (await pool.any(preparedNames)).map((row) => row.name);
      expect(names).toContain('ClaimPrebuiltWorkspace');
    } finally {
      await pool.end();
    }
  });

  it('works again on a new connection after the old one was killed', async () => {
    prepareByName('test_after_kill', 'SELECT $1::int + 1 AS v');
    const pool = await createDbPool(db.url, { logger: silentLogger(), maximumPoolSize: 1 });
    const next = (n: number) =>
      pool.oneFirst(sql.type(z.object({ v: z.number() }))`SELECT ${n}::int + 1 AS v`);
    try {
      expect(await next(1)).toBe(2);
      const pid = await pool.oneFirst(
        sql.type(z.object({ pid: z.number() }))`SELECT pg_backend_pid() AS pid`,
      );
      const admin = await createDbPool(db.url, { logger: silentLogger(), maximumPoolSize: 1 });
      try {
        await admin.query(sql.unsafe`SELECT pg_terminate_backend(${pid})`);
      } finally {
        await admin.end();
      }
      // The killed connection fails at most once; the pool's next one parses the statement anew.
      await next(2).catch(() => undefined);
      expect(await next(3)).toBe(4);
      const names = (await pool.any(preparedNames)).map((row) => row.name);
      expect(names).toContain('test_after_kill');
    } finally {
      await pool.end();
    }
  });

  it('refuses one text under two names', () => {
    prepareByName('test_one', 'SELECT 1 AS one_of_two');
    expect(() => prepareByName('test_two', 'SELECT 1 AS one_of_two')).toThrow(
      /already prepared as "test_one"/,
    );
  });
});
