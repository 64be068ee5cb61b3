import type { Config } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { startEmbeddedPostgres } from './embedded.js';

export interface DatabaseTarget {
  readonly url: string;
  readonly embedded: boolean;
  /** Stops the embedded server if this process started it; otherwise does nothing. */
  stop(): Promise<void>;
}

export const EMBEDDED_DATABASE = 'prebuild_controller';

/** `DATABASE_URL` when set; otherwise the embedded PostgreSQL under the data dir (started or reused). */
export async function resolveDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'embeddedPgPort'>,
  logger: Logger,
): Promise<DatabaseTarget> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  }
  const server = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPgPort,
    database: EMBEDDED_DATABASE,
    logger,
  });
  return { url: server.url, embedded: true, stop: () => server.stop() };
}

export { maskPassword as redactUrl } from './errors.js';
