import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { DatabasePool } from 'slonik';

import { ConfigError } from '../config/load.js';
import type { Config } from '../config/settings.js';
import { resolveDatabase } from '../db/connect.js';
import { Listener } from '../db/listener.js';
import { migrate } from '../db/migrate.js';
import { createDbPool } from '../db/pool.js';
import { databaseReadiness } from '../db/readiness.js';
import { waitForDatabase } from '../db/wait.js';
import { buildApp, type ResponseCheck } from '../http/app.js';
import { isLoopbackAddress } from '../http/auth.js';
import { startMetricsServer } from '../http/metrics-server.js';
import type { Logger } from '../log/logger.js';
import { observeDbPool } from '../metrics/db-pool.js';
import { createRegistry } from '../metrics/registry.js';
import { databaseTokenVerifier } from '../tokens/verifier.js';
import { type Clock, systemClock } from '../util/clock.js';
import type { Component } from './component.js';

/** Database connections of `run` when PREBUILD_CONTROLLER_DATABASE_POOL_SIZE is unset. */
export const DEFAULT_POOL_SIZE = 10;

/** What every part of a running controller shares. */
export interface ControllerContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly pool: DatabasePool;
  readonly listener: Listener;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly databaseUrl: string;
}

/** A feature of the controller: the components it runs and the API routes it adds. */
export interface Feature {
  readonly components?: readonly Component[];
  readonly api?: readonly FastifyPluginAsync[];
}

export type FeatureFactory = (context: ControllerContext) => Feature;

export interface RunningController {
  readonly context: ControllerContext;
  readonly app: FastifyInstance;
  /** Base URL the HTTP server listens on. */
  readonly url: string;
  /** Base URL of the metrics-only server (PREBUILD_CONTROLLER_METRICS_LISTEN), if any. */
  readonly metricsUrl: string | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly features?: readonly FeatureFactory[];
  /** Checks every JSON answer against its route's schema (tests); see AppOptions. */
  readonly checkResponse?: ResponseCheck;
  /** Called once the migrations ran, with the ones this start applied (the demo prints it). */
  readonly onMigrated?: (applied: readonly string[], embeddedDatabase: boolean) => void;
}

/**
 * Listening beyond loopback without a bootstrap token would answer every loopback peer without a
 * token, which behind a service-mesh sidecar or `kubectl port-forward` is everyone: refused
 * (exit code 2) unless the operator says --insecure-no-token.
 */
export function refuseOpenApi(config: Config): void {
  if (config.apiToken !== undefined || config.insecureNoToken) return;
  if (isLoopbackAddress(config.listen.host)) return;
  const { host, port } = config.listen;
  throw new ConfigError(
    `refusing to listen on ${host.includes(':') ? `[${host}]` : host}:${port} without an API token: set PREBUILD_CONTROLLER_API_TOKEN (or PREBUILD_CONTROLLER_API_TOKEN_FILE), listen on 127.0.0.1, or pass --insecure-no-token`,
  );
}

/**
 * Starts the controller: database (embedded when no DATABASE_URL), migrations, pool, listener,
 * features, then the HTTP server. `stop()` undoes it in reverse order, letting components drain
 * until the shutdown timeout.
 */
export async function startController(options: StartOptions): Promise<RunningController> {
  const { config, logger } = options;
  const log = logger.child({ component: 'controller' });
  refuseOpenApi(config);
  const database = await resolveDatabase(config, logger, { createEmbedded: true });
  const cleanup: (() => Promise<void>)[] = [() => database.stop()];
  const unwind = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    const connectTimeoutMs = config.databaseConnectTimeout;
    await waitForDatabase(database.url, logger, { connectTimeoutMs });
    const applied = await migrate(database.url, logger, undefined, {
      connectTimeoutMs,
      lockTimeoutMs: config.migrationLockTimeout,
    });
    options.onMigrated?.(applied, database.embedded);
    const poolSize = config.databasePoolSize ?? DEFAULT_POOL_SIZE;
    const pool = await createDbPool(database.url, {
      logger,
      maximumPoolSize: poolSize,
      statementTimeoutMs: config.databaseStatementTimeout,
      connectTimeoutMs,
      idleTimeoutMs: config.databasePoolIdleTimeout,
    });
    cleanup.push(() => pool.end());
    const listener = new Listener(database.url, logger, { connectTimeoutMs });
    await listener.start();
    cleanup.push(() => listener.stop());

    const registry = createRegistry();
    observeDbPool(registry, pool, poolSize);
    const context: ControllerContext = {
      config,
      logger,
      pool,
      listener,
      registry,
      clock: options.clock ?? systemClock,
      databaseUrl: database.url,
    };
    const features = (options.features ?? []).map((factory) => factory(context));
    const components = features.flatMap((feature) => feature.components ?? []);

    if (config.apiToken === undefined) {
      log.warn(
        'no API token configured (PREBUILD_CONTROLLER_API_TOKEN): /api/v1 answers requests without a token from loopback clients only',
      );
    }
    if (!isLoopbackAddress(config.listen.host) && config.apiToken === undefined) {
      log.warn(
        { listen: config.listen },
        'listening beyond loopback without an API token (--insecure-no-token)',
      );
    }
    const app = await buildApp({
      logger,
      registry: context.registry,
      apiToken: config.apiToken,
      tokenVerifier: databaseTokenVerifier({ db: pool, clock: context.clock, logger }),
      readiness: () => databaseReadiness(pool),
      api: features.flatMap((feature) => feature.api ?? []),
      logRequests: config.logRequests,
      ...(options.checkResponse ? { checkResponse: options.checkResponse } : {}),
    });
    cleanup.push(() => app.close());

    let metricsUrl: string | undefined;
    if (config.metricsListen) {
      const metricsServer = await startMetricsServer({
        listen: config.metricsListen,
        logger,
        registry,
        readiness: () => databaseReadiness(pool),
        logRequests: config.logRequests,
      });
      cleanup.push(() => metricsServer.app.close());
      metricsUrl = metricsServer.url;
    }

    for (const component of components) {
      await component.start();
      cleanup.push(() => component.stop(new Date(Date.now() + config.shutdownTimeout)));
      log.debug({ part: component.name }, 'component started');
    }

    const address = await app.listen({ host: config.listen.host, port: config.listen.port });
    log.info({ address, embeddedDatabase: database.embedded }, 'prebuild-controller is serving');

    let stopping: Promise<void> | undefined;
    return {
      context,
      app,
      url: address,
      metricsUrl,
      stop: () => {
        stopping ??= (async () => {
          log.info('shutting down');
          // Reverse start order: components drain, then HTTP, listener, pool, database.
          await unwind();
          log.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
