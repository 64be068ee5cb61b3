import { sql } from 'slonik';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { UnsafeInteger, UnsafeIntegerError } from '../../src/db/pool.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();

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
