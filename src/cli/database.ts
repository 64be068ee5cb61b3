import type { DatabasePool } from 'slonik';

import { loadConfig } from '../config/load.js';
import type { Config } from '../config/settings.js';
import { redactUrl, resolveDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { createDbPool } from '../db/pool.js';
import { databaseReadiness } from '../db/readiness.js';
import { createLogger, type Logger } from '../log/logger.js';
import { CliError } from './errors.js';

export interface CommandContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly pool: DatabasePool;
}

/**
 * For one-shot commands that talk to the database directly: loads the config from the command's
 * flags, connects (DATABASE_URL, or the embedded PostgreSQL under the data dir, reusing a running
 * one), runs `fn`, and closes everything again. The embedded database is migrated first, as `run`
 * would; an external one must already be migrated (exit code 2 with a hint otherwise), because
 * schema changes there are the operator's call.
 */
export async function withDatabase<T>(
  flags: Record<string, unknown>,
  fn: (context: CommandContext) => Promise<T>,
): Promise<T> {
  const config = loadConfig(flags);
  const logger = createLogger({ level: config.logLevel, fd: 2 });
  const database = await resolveDatabase(config, logger);
  try {
    const connectTimeoutMs = config.databaseConnectTimeout;
    if (database.embedded) await migrate(database.url, logger, undefined, { connectTimeoutMs });
    const pool = await createDbPool(database.url, {
      logger,
      maximumPoolSize: 4,
      applicationName: 'prebuild-controller-cli',
      connectTimeoutMs,
    });
    try {
      const readiness = await databaseReadiness(pool);
      if (!readiness.ready) {
        const checks = Object.entries(readiness.checks)
          .map(([check, state]) => `${check}: ${state}`)
          .join(', ');
        throw new CliError(
          `database ${redactUrl(database.url)} is not ready (${checks}); run "prebuild-controller migrate" first`,
          2,
        );
      }
      return await fn({ config, logger, pool });
    } finally {
      await pool.end();
    }
  } finally {
    await database.stop();
  }
}

/** Prints rows as an aligned text table. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
