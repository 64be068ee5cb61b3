import { badRequest } from '../http/errors.js';

/**
 * Pages of the workspace list. A page is at most `limit` rows in (owner username, name) order,
 * case-insensitive: a unique key of non-deleted workspaces. The cursor of the next page names the
 * last row shown, so each page is one index-ordered range read wherever it starts, and rows
 * created or deleted between pages neither repeat nor shift the rest. The cursor is opaque to
 * clients: base64url of a JSON pair.
 */

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** Where a page starts: after this row. */
export interface PageCursor {
  /** The owner's username. */
  readonly owner: string;
  /** The workspace's name. */
  readonly name: string;
}

export interface PageRequest {
  readonly limit: number;
  readonly after: PageCursor | null;
}

export interface Page<T> {
  readonly rows: readonly T[];
  /** The cursor of the next page, or null when this page is the last. */
  readonly next: PageCursor | null;
}

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.owner, cursor.name])).toString('base64url');
}

const notACursor = () =>
  badRequest('after: not a cursor from a previous page (use next_cursor as given)', [
    { path: 'after', message: 'not a cursor from a previous page' },
  ]);

/** The cursor a client sent back; a 400 naming `after` when it is not one we made. */
export function decodeCursor(text: string): PageCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw notACursor();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !parsed.every((part) => typeof part === 'string' && part.length > 0)
  ) {
    throw notACursor();
  }
  const [owner, name] = parsed as [string, string];
  return { owner, name };
}

/** A page request from the query string's `limit` and `after`; a 400 naming the bad one. */
export function pageRequest(query: { limit?: string; after?: string }): PageRequest {
  const limit = query.limit === undefined ? DEFAULT_PAGE_LIMIT : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw badRequest(`limit: must be from 1 to ${MAX_PAGE_LIMIT}`, [
      { path: 'limit', message: `must be from 1 to ${MAX_PAGE_LIMIT}` },
    ]);
  }
  return { limit, after: query.after === undefined ? null : decodeCursor(query.after) };
}

/**
 * Every row of a paged list, or the first `max`: asks for pages of at most MAX_PAGE_LIMIT rows,
 * each after the one before, until the list or `max` ends. `C` is the cursor as the source gives
 * it (a PageCursor from the database, the opaque string over HTTP).
 */
export async function collectPages<T, C>(
  fetchPage: (limit: number, after: C | null) => Promise<{ rows: readonly T[]; next: C | null }>,
  max: number | null = null,
): Promise<T[]> {
  const all: T[] = [];
  let after: C | null = null;
  for (;;) {
    const want = max === null ? MAX_PAGE_LIMIT : Math.min(MAX_PAGE_LIMIT, max - all.length);
    if (want <= 0) return all;
    const page = await fetchPage(want, after);
    all.push(...page.rows);
    if (page.next === null) return all;
    after = page.next;
  }
}
