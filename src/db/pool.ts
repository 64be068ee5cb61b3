import {
  createPool,
  type DatabasePool,
  type Interceptor,
  type QueryResultRow,
  SchemaValidationError,
  type DriverTypeParser,
} from 'slonik';

import type { Logger } from '../log/logger.js';
import { DatabaseConnectError } from './errors.js';

/**
 * An int8 value beyond JavaScript's safe integers, as the database holds it. The type parser
 * hands it over instead of throwing, so that one such row fails alone: a row schema that asks for
 * a number rejects it (with the column named), and a reader that takes rows one by one can skip
 * or report that row and keep the others.
 */
export class UnsafeInteger {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
  /** Arithmetic on it (an untyped query's row) fails loudly rather than losing precision. */
  valueOf(): never {
    throw new UnsafeIntegerError([this.text]);
  }
}

/** The row's columns that hold an int8 value too big to read, as `column = value`. */
export function unsafeIntegerColumns(row: Record<string, unknown>): string[] {
  return Object.entries(row)
    .filter(([, value]) => value instanceof UnsafeInteger)
    .map(([column, value]) => `${column} = ${String(value)}`);
}

/** A row holds an int8 value JavaScript cannot represent exactly; says which column and value. */
export class UnsafeIntegerError extends Error {
  override readonly name = 'UnsafeIntegerError';
  constructor(columns: readonly string[]) {
    super(`int8 value out of JavaScript's safe integer range in column ${columns.join(', ')}`);
  }
}

/** slonik carries a row schema on each typed query but validates nothing without this interceptor. */
const resultParser: Interceptor = {
  name: 'result-parser',
  transformRow: (ctx, query, row) => {
    const parser = ctx.resultParser;
    if (!parser) return row;
    const result = parser.safeParse(row);
    if (!result.success) {
      const unsafe = unsafeIntegerColumns(row);
      if (unsafe.length > 0) throw new UnsafeIntegerError(unsafe);
      throw new SchemaValidationError(query, row, result.error.issues);
    }
    return result.data as QueryResultRow;
  },
};

function parseSafeInteger(value: string): number | UnsafeInteger {
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : new UnsafeInteger(value);
}

/**
 * Counts and millisecond durations come back as numbers, timestamps as `Date` (pg's own parser),
 * `numeric` as number. Everything else keeps pg's defaults.
 */
const typeParsers: DriverTypeParser[] = [
  { name: 'int8', parse: parseSafeInteger },
  { name: 'numeric', parse: (value: string) => Number(value) },
];

export interface PoolOptions {
  readonly logger: Logger;
  readonly maximumPoolSize?: number;
  readonly applicationName?: string;
  /** PostgreSQL's statement_timeout for the pool's connections; undefined or 0 = none. */
  readonly statementTimeoutMs?: number;
  /** How long opening a connection may take (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** How long a connection may sit idle before it is closed (default 5 min; 0 = until `end`). */
  readonly idleTimeoutMs?: number;
  /** More slonik interceptors, run after the pool's own (tracing, or a test's fault injection). */
  readonly interceptors?: readonly Interceptor[];
}

/**
 * Idle connections are kept 5 minutes. A new PostgreSQL backend pays for its catalog caches and
 * its first plans: its first claim cost 17 to 19 ms of CPU at 100k workspaces, the next five 1 to
 * 2.5 ms (custom plans), then 0.3 to 0.4 ms (BENCHMARKS.md). With node-postgres' 10 s, a claim
 * after a quiet 10 s, and every loop that runs less often, paid that on a new connection.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;

/**
 * A slonik pool with row validation, number/Date type parsers, and JIT turned off (JIT compiled
 * every snapshot query in the measurements, 200-800 ms each).
 *
 * JIT is off through the connection's startup options (`-c jit=off`), so it holds for the whole
 * session at no cost per query. slonik's default would also run `DISCARD ALL` whenever a connection
 * goes back to the pool, which reset JIT and made a `SET jit = off` necessary on every checkout:
 * two extra round trips per checkout, 12 of the 28 statements of a claim request (bench/
 * http-claims). Nothing here keeps session state (settings are SET LOCAL or SET TRANSACTION,
 * advisory locks transaction-scoped, LISTEN on its own client), so connections are returned as
 * they are.
 */
export async function createDbPool(url: string, options: PoolOptions): Promise<DatabasePool> {
  const log = options.logger.child({ component: 'db' });
  const errorLogger: Interceptor = {
    name: 'error-logger',
    queryExecutionError: (_ctx, query, error) => {
      log.debug({ err: error, sql: query.sql }, 'query failed');
      return null;
    },
  };
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  // slonik connects once at creation (to read the type OIDs): a database that is down or never
  // answers fails here, and the error says where and for how long it waited.
  return createPool(connectionUrl(url, options.applicationName), {
    maximumPoolSize: options.maximumPoolSize ?? 10,
    interceptors: [resultParser, errorLogger, ...(options.interceptors ?? [])],
    typeParsers,
    // The reconciler reads in its lock transaction while short write transactions run beside it.
    dangerouslyAllowForeignConnections: true,
    // slonik maps 0 to 1 ms: "no limit" must be spelled DISABLE_TIMEOUT.
    statementTimeout: options.statementTimeoutMs ? options.statementTimeoutMs : 'DISABLE_TIMEOUT',
    // slonik maps 0 to 1 ms here too.
    idleTimeout: idleTimeoutMs === 0 ? 'DISABLE_TIMEOUT' : idleTimeoutMs,
    connectionTimeout: connectTimeoutMs,
    resetConnection: async () => undefined,
  }).catch((error: unknown) => {
    throw new DatabaseConnectError(url, error, connectTimeoutMs);
  });
}

/**
 * The pool's connection URL: the application name (unless the URL names one) and `-c jit=off`
 * appended to any startup `options` the URL already carries.
 */
export function connectionUrl(url: string, applicationName?: string): string {
  const withApp = new URL(url);
  if (!withApp.searchParams.has('application_name')) {
    withApp.searchParams.set('application_name', applicationName ?? 'prebuild-controller');
  }
  const options = withApp.searchParams.get('options');
  withApp.searchParams.set('options', options ? `${options} -c jit=off` : '-c jit=off');
  return withApp.toString();
}
