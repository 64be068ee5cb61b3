import pg from 'pg';

import type { Logger } from '../log/logger.js';
import { formatDuration } from '../util/duration.js';
import { DatabaseConnectError, maskPassword } from './errors.js';

export interface WaitForDatabaseOptions {
  /** How long one connection attempt may take (PREBUILD_CONTROLLER_DATABASE_CONNECT_TIMEOUT). */
  readonly connectTimeoutMs: number;
  /** First wait between attempts; doubles up to `maxBackoffMs`. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * For long-running commands (`run`, `provisionerd`): says where it connects, then tries until
 * PostgreSQL answers `SELECT 1`, logging each failure and the wait before the next attempt
 * (exponential backoff with jitter, 1 s doubling up to 30 s by default). A database that is down,
 * refuses connections, or accepts TCP but never answers is waited for, not a reason to exit; a
 * person stops the wait with a signal.
 */
export async function waitForDatabase(
  url: string,
  logger: Logger,
  options: WaitForDatabaseOptions,
): Promise<void> {
  const log = logger.child({ component: 'db' });
  const where = maskPassword(url);
  const min = options.minBackoffMs ?? 1_000;
  const max = options.maxBackoffMs ?? 30_000;
  log.info({ connectTimeoutMs: options.connectTimeoutMs }, `connecting to PostgreSQL at ${where}`);
  for (let attempt = 1; ; attempt++) {
    const error = await probe(url, options.connectTimeoutMs);
    if (!error) {
      if (attempt > 1) log.info({ attempt }, `PostgreSQL at ${where} answers`);
      return;
    }
    const ceiling = Math.min(max, min * 2 ** (attempt - 1));
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    log.warn(
      { attempt, retryInMs: delay },
      `${new DatabaseConnectError(url, error, options.connectTimeoutMs).message}; retrying in ${formatDuration(delay)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** One attempt: connect and `SELECT 1` within `timeoutMs`; the error, or undefined when it answered. */
async function probe(url: string, timeoutMs: number): Promise<unknown> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'prebuild-controller connect',
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  // An error after the attempt ended (the socket closing) must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
