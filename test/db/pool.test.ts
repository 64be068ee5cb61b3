import pg from 'pg';
import { sql } from 'slonik';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import {
  connectionUrl,
  createDbPool,
  DEFAULT_IDLE_TIMEOUT_MS,
  UnsafeInteger,
  UnsafeIntegerError,
} from '../../src/db/pool.js';
import { withTransaction } from '../../src/db/tx.js';
import { silentLogger } from '../../src/log/logger.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
const show = (name: string) =>
  sql.type(z.object({ v: z.string() }))`SELECT current_setting(${name}) AS v`;

/** Every statement text the pg clients of this process send while `fn` runs. */
async function sent(fn: () => Promise<unknown>): Promise<string[]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const texts: string[] = [];
  proto.query = function counted(this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    texts.push(typeof first === 'string' ? first : String(first.text));
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return texts;
}

const backendPid = sql.type(z.object({ pid: z.number() }))`SELECT pg_backend_pid() AS pid`;

describe('createDbPool', () => {
  it('keeps idle connections 5 minutes by default, until the end with 0', async () => {
    expect(DEFAULT_IDLE_TIMEOUT_MS).toBe(300_000);
    const byDefault = await createDbPool(db.url, { logger: silentLogger(), maximumPoolSize: 1 });
    const never = await createDbPool(db.url, {
      logger: silentLogger(),
      maximumPoolSize: 1,
      idleTimeoutMs: 0,
    });
    try {
      expect(byDefault.configuration.idleTimeout).toBe(300_000);
      expect(never.configuration.idleTimeout).toBe('DISABLE_TIMEOUT');
      // One backend serves every checkout while the connection stays open.
      const first = (await byDefault.one(backendPid)).pid;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await byDefault.one(backendPid)).pid).toBe(first);
    } finally {
      await byDefault.end();
      await never.end();
    }
  });

  it('closes a connection idle longer than the idle timeout; the next checkout opens one', async () => {
    const pool = await createDbPool(db.url, {
      logger: silentLogger(),
      maximumPoolSize: 1,
      idleTimeoutMs: 50,
    });
    try {
      const first = (await pool.one(backendPid)).pid;
      const deadline = Date.now() + 10_000;
      while (pool.state().idleConnections > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(pool.state().idleConnections).toBe(0);
      expect((await pool.one(backendPid)).pid).not.toBe(first);
    } finally {
      await pool.end();
    }
  });

  it('turns JIT off for the session: on every checkout, in and out of transactions', async () => {
    const pool = await createDbPool(db.url, { logger: silentLogger(), maximumPoolSize: 2 });
    try {
      for (let i = 0; i < 5; i++) expect((await pool.one(show('jit'))).v).toBe('off');
      await withTransaction(pool, { isolation: 'repeatable read' }, async (tx) => {
        expect((await tx.one(show('jit'))).v).toBe('off');
      });
      const concurrent = await Promise.all(
        Array.from({ length: 6 }, () => pool.one(show('jit')).then((r) => r.v)),
      );
      expect(concurrent).toEqual(Array(6).fill('off'));
    } finally {
      await pool.end();
    }
  });

  it('sends only the caller statements: no reset or setup round trip per checkout', async () => {
    const pool = await createDbPool(db.url, { logger: silentLogger(), maximumPoolSize: 1 });
    try {
      await pool.query(sql.unsafe`SELECT 1`); // the connection is open
      const texts = await sent(async () => {
        await pool.query(sql.unsafe`SELECT 2`);
        await pool.query(sql.unsafe`SELECT 3`);
        await withTransaction(pool, {}, (tx) => tx.query(sql.unsafe`SELECT 4`));
      });
      expect(texts).toEqual(['SELECT 2', 'SELECT 3', 'START TRANSACTION', 'SELECT 4', 'COMMIT']);
    } finally {
      await pool.end();
    }
  });

  it('transaction-scoped settings do not leak to the next checkout', async () => {
    const pool = await createDbPool(db.url, { logger: silentLogger(), maximumPoolSize: 1 });
    try {
      await withTransaction(pool, {}, async (tx) => {
        await tx.query(sql.unsafe`SET LOCAL work_mem = '7MB'`);
        expect((await tx.one(show('work_mem'))).v).toBe('7MB');
      });
      expect((await pool.one(show('work_mem'))).v).not.toBe('7MB');
    } finally {
      await pool.end();
    }
  });

  it('keeps startup options the URL already carries', async () => {
    const url = new URL(db.url);
    url.searchParams.set('options', '-c statement_timeout=4321');
    const pool = await createDbPool(url.toString(), { logger: silentLogger() });
    try {
      expect((await pool.one(show('statement_timeout'))).v).toBe('4321ms');
      expect((await pool.one(show('jit'))).v).toBe('off');
    } finally {
      await pool.end();
    }
  });
});

describe('connectionUrl', () => {
  it('adds the application name and -c jit=off, keeping what is there', () => {
    const plain = new URL(connectionUrl('postgres://u@h:5432/d'));
    expect(plain.searchParams.get('application_name')).toBe('prebuild-controller');
    expect(plain.searchParams.get('options')).toBe('-c jit=off');
    const given = new URL(
      connectionUrl('postgres://u@h:5432/d?application_name=x&options=-c%20search_path%3Dy'),
    );
    expect(given.searchParams.get('application_name')).toBe('x');
    expect(given.searchParams.get('options')).toBe('-c search_path=y -c jit=off');
  });
});

describe('int8 values beyond 2^53', () => {
  it('fail only the query that reads them as numbers, naming the column', async () => {
    const error = await db.pool
      .one(
        sql.type(z.object({ id: z.number(), ttl: z.number() }))`
        SELECT 1::int8 AS id, 86400000000000000::int8 AS ttl`,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeIntegerError);
    expect((error as Error).message).toBe(
      "int8 value out of JavaScript's safe integer range in column ttl = 86400000000000000",
    );
    // A query without a row schema gets the value, which refuses to be used as a number.
    const untyped = await db.pool.one(sql.unsafe`SELECT 9007199254740993::int8 AS n`);
    expect(() => Number(untyped.n) + 1).toThrow(UnsafeIntegerError);
    // The pool goes on; safe values still read as numbers.
    expect(
      await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT 42::int8 AS n`),
    ).toBe(42);
  });

  it('reach a reader that takes rows one by one as UnsafeInteger, so it can skip or report the row', async () => {
    const rows = await db.pool.any(sql.type(z.record(z.unknown()))`
      SELECT * FROM (VALUES (1::int8), (9007199254740993::int8)) AS t(n) ORDER BY n`);
    expect(rows[0]).toEqual({ n: 1 });
    expect(rows[1]?.n).toBeInstanceOf(UnsafeInteger);
    expect(String(rows[1]?.n)).toBe('9007199254740993');
  });
});
