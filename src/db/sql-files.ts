import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

import type { CommonQueryMethods, QuerySqlToken } from 'slonik';
import type { z } from 'zod';

import { sqlDir } from '../util/paths.js';
import { prepareByName } from './prepared.js';
import { expandIncludes, type ParsedQuery, parseQuery, splitNamedQueries } from './sql-text.js';

export interface SqlFileQuery extends ParsedQuery {
  /** Path of the file, relative to `sql/`. */
  readonly file: string;
}

/** A value bound to a `:name` parameter. Plain objects are sent as JSON. */
export type SqlParam =
  | string
  | number
  | boolean
  | bigint
  | null
  | Date
  | Buffer
  | readonly (string | number | boolean | null)[]
  | { readonly [key: string]: unknown };

function listSqlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return listSqlFiles(path);
      return entry.isFile() && entry.name.endsWith('.sql') ? [path] : [];
    })
    .sort();
}

/**
 * Reads every `sql/**\/*.sql` file. A file without `-- name:` lines is one query named by its path
 * (`prebuilds/claim`); a file with them holds one query per name. Names are unique across files.
 * `-- include: Name` lines are replaced by that query's body (see expandIncludes).
 */
export function loadSqlQueries(dir: string = sqlDir): Map<string, SqlFileQuery> {
  const bodies = new Map<string, string>();
  const files = new Map<string, string>();
  for (const path of listSqlFiles(dir)) {
    const file = relative(dir, path).split(sep).join('/');
    const source = readFileSync(path, 'utf8');
    for (const { name, body } of splitNamedQueries(source, file.replace(/\.sql$/, ''))) {
      const existing = files.get(name);
      if (existing) throw new Error(`SQL query "${name}" is defined in ${existing} and ${file}`);
      files.set(name, file);
      bodies.set(name, body);
    }
  }
  const queries = new Map<string, SqlFileQuery>();
  for (const [name, body] of expandIncludes(bodies)) {
    queries.set(name, { ...parseQuery(name, body), file: files.get(name) as string });
  }
  return queries;
}

let registry: Map<string, SqlFileQuery> | undefined;

export function sqlQuery(name: string): SqlFileQuery {
  registry ??= loadSqlQueries();
  const query = registry.get(name);
  if (!query) throw new Error(`SQL query "${name}" not found under sql/`);
  return query;
}

function toDriverValue(value: SqlParam): unknown {
  if (
    value === null ||
    typeof value !== 'object' ||
    value instanceof Date ||
    Buffer.isBuffer(value) ||
    Array.isArray(value)
  ) {
    return value;
  }
  return JSON.stringify(value);
}

/** The queries' database handle: a pool, a connection or a transaction. */
export type Db = CommonQueryMethods;

/**
 * A query from `sql/` bound to the zod schema of its rows. Rows are validated by the pool's
 * result-parser interceptor, so a renamed column or a wrong type fails loudly at the boundary.
 */
export interface TypedQuery<Row extends z.ZodTypeAny, Params extends Record<string, SqlParam>> {
  readonly name: string;
  token(params: Params): QuerySqlToken<Row>;
  any(db: Db, params: Params): Promise<readonly z.infer<Row>[]>;
  many(db: Db, params: Params): Promise<readonly z.infer<Row>[]>;
  one(db: Db, params: Params): Promise<z.infer<Row>>;
  maybeOne(db: Db, params: Params): Promise<z.infer<Row> | null>;
  exec(db: Db, params: Params): Promise<number>;
}

export interface QueryOptions {
  /**
   * Send it as a named prepared statement (src/db/prepared.ts): parsed once per connection
   * instead of on every call. For the few statements on the claim and job paths.
   */
  readonly prepared?: boolean;
}

export function defineQuery<
  Params extends Record<string, SqlParam> = Record<string, never>,
  Row extends z.ZodTypeAny = z.ZodTypeAny,
>(name: string, row: Row, options: QueryOptions = {}): TypedQuery<Row, Params> {
  // At definition, so that every client in the process sends this text by its name from the start.
  if (options.prepared) prepareByName(name, sqlQuery(name).text);
  const token = (params: Params): QuerySqlToken<Row> => {
    const query = sqlQuery(name);
    const values = query.params.map((param) => {
      if (!Object.hasOwn(params, param) || params[param] === undefined) {
        throw new Error(`SQL query "${name}": parameter :${param} has no value`);
      }
      return toDriverValue(params[param]);
    });
    for (const key of Object.keys(params)) {
      if (!query.params.includes(key)) {
        throw new Error(`SQL query "${name}" has no parameter :${key}`);
      }
    }
    // slonik has no public API for SQL text from a file; its query tokens are plain frozen
    // objects keyed by a registered symbol, stable across package copies.
    return Object.freeze({
      type: Symbol.for('SLONIK_TOKEN_QUERY'),
      sql: query.text,
      values,
      parser: row,
    }) as unknown as QuerySqlToken<Row>;
  };
  return {
    name,
    token,
    any: (db, params) => db.any(token(params)),
    many: (db, params) => db.many(token(params)),
    one: (db, params) => db.one(token(params)),
    maybeOne: (db, params) => db.maybeOne(token(params)),
    exec: async (db, params) => (await db.query(token(params))).rowCount,
  };
}
