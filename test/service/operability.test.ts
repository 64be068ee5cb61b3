import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/logger.js';
import { enqueueNotification } from '../../src/notifications/enqueue.js';
import { notificationsFeature } from '../../src/notifications/feature.js';
import { type RunningController, startController } from '../../src/service/controller.js';
import { buildTestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();

async function gauge(controller: RunningController, name: string): Promise<number | undefined> {
  const metric = controller.context.registry.getSingleMetric(name);
  return (await metric?.get())?.values[0]?.value;
}

describe('run: pool size, statement timeout, pool gauges and --metrics-listen', () => {
  let controller: RunningController;
  beforeAll(async () => {
    const config = loadConfig(
      {
        databaseUrl: db.url,
        listen: '127.0.0.1:0',
        metricsListen: '127.0.0.1:0',
        databasePoolSize: '3',
        databaseStatementTimeout: '300ms',
        shutdownTimeout: '1s',
      },
      {},
    );
    controller = await startController({ config, logger: silentLogger(), features: [] });
  });
  afterAll(() => controller?.stop());

  it('serves /metrics, /healthz and /readyz, and no API, on the metrics address', async () => {
    expect(controller.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(controller.metricsUrl).not.toBe(controller.url);
    const metrics = await fetch(`${controller.metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^prebuild_controller_build_info\{version="[^"]+",.*\} 1$/m);
    expect(text).toMatch(/^prebuild_controller_db_pool_max_connections 3$/m);
    expect((await fetch(`${controller.metricsUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${controller.metricsUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
    expect((await fetch(`${controller.metricsUrl}/api/v1/templates`)).status).toBe(404);
    // The main listener still serves /metrics too.
    expect((await fetch(`${controller.url}/metrics`)).status).toBe(200);
  });

  it('applies the statement timeout to the pool', async () => {
    const Setting = z.object({ statement_timeout: z.string() });
    const shown = await controller.context.pool.one(sql.type(Setting)`SHOW statement_timeout`);
    expect(shown.statement_timeout).toBe('300ms');
    await expect(controller.context.pool.query(sql.unsafe`SELECT pg_sleep(2)`)).rejects.toThrow(
      /statement_timeout/,
    );
  });

  it('reports open, idle and waiting connections of the pool', async () => {
    // Five queries on a pool of three: three run, two wait for a connection.
    const running = Array.from({ length: 5 }, () =>
      controller.context.pool.query(sql.unsafe`SELECT pg_sleep(0.25)`),
    );
    await vi.waitFor(
      async () => {
        expect(await gauge(controller, 'prebuild_controller_db_pool_waiting_clients')).toBe(2);
        expect(await gauge(controller, 'prebuild_controller_db_pool_connections')).toBe(3);
      },
      { timeout: 2_000, interval: 5 },
    );
    await Promise.all(running);
    expect(await gauge(controller, 'prebuild_controller_db_pool_waiting_clients')).toBe(0);
    expect(await gauge(controller, 'prebuild_controller_db_pool_idle_connections')).toBe(3);
    expect(await gauge(controller, 'prebuild_controller_db_pool_connections')).toBe(3);
  });
});

it('counts notifications waiting for delivery at scrape', async () => {
  // The feature's dispatcher is not started: enqueued messages stay pending.
  const test = await buildTestApp(db, [notificationsFeature]);
  try {
    const pending = async () => {
      const metric = test.context.registry.getSingleMetric('coderd_notifications_pending_messages');
      return Object.fromEntries(
        ((await metric?.get())?.values ?? []).map((v) => [v.labels.status, v.value]),
      );
    };
    expect(await pending()).toEqual({ pending: 0, temporary_failure: 0 });
    for (const preset of ['a', 'b']) {
      await enqueueNotification(db.pool, {
        template: 'prebuild_preset_hard_limited',
        userId: null,
        payload: { template: 't', preset, failed_builds: 3 },
        createdBy: 'operability-test',
        now: new Date(),
      });
    }
    expect(await pending()).toEqual({ pending: 2, temporary_failure: 0 });
    await db.pool.query(
      sql.unsafe`UPDATE notification_messages SET status = 'temporary_failure' WHERE payload->>'preset' = 'a'`,
    );
    expect(await pending()).toEqual({ pending: 1, temporary_failure: 1 });
    const scrape = await test.app.inject({ url: '/metrics' });
    expect(scrape.body).toMatch(/^coderd_notifications_pending_messages\{status="pending"\} 1$/m);
  } finally {
    await test.close();
  }
});
