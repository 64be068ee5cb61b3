import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

import type { Logger } from '../log/logger.js';
import { buildApp, type Readiness } from './app.js';

/**
 * `--metrics-listen`: /metrics, /healthz and /readyz (no API) on an address of their own, so
 * scrapers and probes can be let in where the API is not. Resolves once it listens.
 */
export async function startMetricsServer(options: {
  readonly listen: { readonly host: string; readonly port: number };
  readonly logger: Logger;
  readonly registry: Registry;
  readonly readiness: () => Promise<Readiness>;
  readonly logRequests?: boolean;
}): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApp({
    logger: options.logger,
    registry: options.registry,
    apiToken: undefined,
    readiness: options.readiness,
    logRequests: options.logRequests ?? false,
  });
  try {
    const url = await app.listen(options.listen);
    options.logger.info({ address: url }, 'serving /metrics, /healthz and /readyz');
    return { app, url };
  } catch (error) {
    await app.close();
    throw error;
  }
}
