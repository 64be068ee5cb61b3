import type { FastifyInstance } from 'fastify';

import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/settings.js';
import { Listener } from '../../src/db/listener.js';
import { databaseReadiness } from '../../src/db/readiness.js';
import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/registry.js';
import type { ControllerContext, FeatureFactory } from '../../src/service/controller.js';
import { databaseTokenVerifier } from '../../src/tokens/verifier.js';
import type { Clock } from '../../src/util/clock.js';
import type { TestDatabase } from './db.js';
import { strictResponseCheck } from './response-contract.js';

export const TEST_TOKEN = 'test-token-123';
export const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };

export interface TestApp {
  readonly app: FastifyInstance;
  readonly context: ControllerContext;
  close(): Promise<void>;
}

/**
 * The HTTP app with the given features on a test database, without listening and without
 * starting the features' components (tests start those they need). Every JSON answer is checked
 * against its route's response schema (a mismatch is a 500 `response_contract`).
 */
export async function buildTestApp(
  db: TestDatabase,
  features: readonly FeatureFactory[],
  options: { clock?: Clock; config?: Partial<Record<string, string>> } = {},
): Promise<TestApp> {
  const config: Config = loadConfig(
    { databaseUrl: db.url, apiToken: TEST_TOKEN, ...options.config },
    {},
  );
  const logger = silentLogger();
  const listener = new Listener(db.url, logger);
  await listener.start();
  const context: ControllerContext = {
    config,
    logger,
    pool: db.pool,
    listener,
    registry: createRegistry(),
    clock: options.clock ?? { now: () => new Date() },
    databaseUrl: db.url,
  };
  const built = features.map((factory) => factory(context));
  const app = await buildApp({
    logger,
    registry: context.registry,
    apiToken: TEST_TOKEN,
    tokenVerifier: databaseTokenVerifier({ db: db.pool, clock: context.clock, logger }),
    readiness: () => databaseReadiness(db.pool),
    api: built.flatMap((feature) => feature.api ?? []),
    checkResponse: strictResponseCheck,
  });
  return {
    app,
    context,
    close: async () => {
      await app.close();
      await listener.stop();
    },
  };
}
