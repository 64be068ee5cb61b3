import { describe, expect, it } from 'vitest';

import {
  collectPages,
  decodeCursor,
  encodeCursor,
  MAX_PAGE_LIMIT,
  pageRequest,
} from '../../../src/workspaces/page.js';

/** A paged source of 0..total-1 that records the limits it was asked for. */
function numbers(total: number) {
  const asked: number[] = [];
  const fetchPage = (limit: number, after: number | null) => {
    asked.push(limit);
    const start = after === null ? 0 : after + 1;
    const rows = Array.from(
      { length: Math.max(0, Math.min(limit, total - start)) },
      (_, i) => start + i,
    );
    const last = rows.at(-1);
    return Promise.resolve({ rows, next: last !== undefined && last < total - 1 ? last : null });
  };
  return { asked, fetchPage };
}

describe('collectPages', () => {
  it('reads every page at the largest size until the source says it is done', async () => {
    const source = numbers(2 * MAX_PAGE_LIMIT + 5);
    const all = await collectPages(source.fetchPage);
    expect(all).toHaveLength(2 * MAX_PAGE_LIMIT + 5);
    expect(all[MAX_PAGE_LIMIT]).toBe(MAX_PAGE_LIMIT);
    expect(new Set(all).size).toBe(all.length);
    expect(source.asked).toEqual([MAX_PAGE_LIMIT, MAX_PAGE_LIMIT, MAX_PAGE_LIMIT]);
  });

  it('stops at max, asking only for what is still missing', async () => {
    const source = numbers(5000);
    const first = await collectPages(source.fetchPage, MAX_PAGE_LIMIT + 1);
    expect(first).toEqual(Array.from({ length: MAX_PAGE_LIMIT + 1 }, (_, i) => i));
    expect(source.asked).toEqual([MAX_PAGE_LIMIT, 1]);
    expect(await collectPages(numbers(3).fetchPage, 10)).toEqual([0, 1, 2]);
    expect(await collectPages(numbers(0).fetchPage)).toEqual([]);
  });
});

describe('page cursors and limits', () => {
  it('round-trips a cursor, names and all', () => {
    const cursor = { owner: 'ålice', name: 'dev/1 "x"' };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it('refuses what is not a cursor, naming `after`', () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const text of [
      '!!',
      'e30',
      forged(['a']),
      forged(['a', 'b', 'c']),
      forged(['a', 2]),
      forged(['', 'b']),
      forged({ owner: 'a', name: 'b' }),
    ]) {
      expect(() => decodeCursor(text), text).toThrow(/^after: not a cursor/);
    }
  });

  it('defaults the limit to 100 and keeps it within 1..1000', () => {
    expect(pageRequest({})).toEqual({ limit: 100, after: null });
    expect(pageRequest({ limit: '1000' }).limit).toBe(1000);
    for (const limit of ['0', '1001', '2.5', '']) {
      expect(() => pageRequest({ limit }), limit).toThrow(/^limit: must be from 1 to 1000/);
    }
  });
});
