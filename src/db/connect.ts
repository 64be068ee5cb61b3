import { resolve } from 'node:path';

import { ConfigError } from '../config/load.js';
import type { Config } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { embeddedClusterExists, startEmbeddedPostgres } from './embedded.js';

export interface DatabaseTarget {
  readonly url: string;
  readonly embedded: boolean;
  /** Stops the embedded server if this process started it; otherwise does nothing. */
  stop(): Promise<void>;
}

export interface ResolveOptions {
  /**
   * May a new embedded cluster be created when there is none under the data dir? Only `run` (and
   * `demo`) say yes: any other command run without DATABASE_URL in the wrong folder would
   * otherwise create an empty 47 MB cluster there and answer "nothing there" with exit code 0.
   */
  readonly createEmbedded?: boolean;
}

export const EMBEDDED_DATABASE = 'prebuild_controller';

/** `DATABASE_URL` when set; otherwise the embedded PostgreSQL under the data dir (started or reused). */
export async function resolveDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'embeddedPgPort'>,
  logger: Logger,
  options: ResolveOptions = {},
): Promise<DatabaseTarget> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  }
  if (options.createEmbedded !== true && !embeddedClusterExists(config.dataDir)) {
    throw new ConfigError(
      `no DATABASE_URL and no embedded database under ${resolve(config.dataDir)}: set DATABASE_URL (or --data-dir to where "prebuild-controller run" keeps its database), or start the controller here first (npm start)`,
    );
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
