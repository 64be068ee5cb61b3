import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import { jobsFeature } from '../../src/jobs/feature.js';
import { jobMetricsFor } from '../../src/jobs/metrics.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { SYSTEM_USER_ID } from '../helpers/fixtures.js';
import { createTarget, enqueue, startTestDaemon, waitForJob } from '../jobs/helpers.js';
import { push, reconcilerFor, templateYaml, uniqueName, waitForIdle } from './harness.js';

/**
 * coderd_prebuilt_workspaces_time_to_ready_seconds: observed once per prebuild, when it becomes
 * eligible (its creation build succeeded and every agent is ready), from the creation job's start,
 * on each of the three paths that make agents ready.
 */
const db = useTestDatabase();
const clock = new FakeClock('2026-03-02T10:00:00Z');
let app: TestApp;

beforeAll(async () => {
  app = await buildTestApp(db, [jobsFeature], { clock });
});
afterAll(() => app?.close());

const metrics = () => jobMetricsFor(app.context.registry);

/** What a scrape shows, after one scrape before it (a new series shows at 0 once first). */
async function observed(template: string) {
  await metrics().timeToReady.get();
  const values = (await metrics().timeToReady.get()).values
    .map((v) => v as { metricName?: string; value: number; labels: Record<string, unknown> })
    .filter((v) => v.labels.template_name === template);
  const pick = (suffix: string, le?: number) =>
    values.find(
      (v) =>
        v.metricName === `coderd_prebuilt_workspaces_time_to_ready_seconds_${suffix}` &&
        (le === undefined || v.labels.le === le),
    )?.value ?? 0;
  return {
    count: pick('count'),
    sum: pick('sum'),
    labels: values[0]?.labels,
    le: (bound: number) => pick('bucket', bound),
  };
}

async function pushPool(instances: number) {
  const template = uniqueName('ttr');
  const { presets } = await push(db, templateYaml(template, [{ name: 'small', instances }]));
  const stats = await reconcilerFor(db, clock).reconcileOnce();
  expect(stats).toMatchObject({ created: instances, errors: 0 });
  return { template, preset: presets.small as string };
}

describe('time to ready of prebuilds', () => {
  it('is observed at job completion when the agents are ready at once, per preset', async () => {
    const { template } = await pushPool(2);
    const daemon = await startTestDaemon({
      db: db.pool,
      url: db.url,
      clock,
      concurrency: 4,
      metrics: metrics(),
    });
    try {
      await waitForIdle(db.pool);
      const result = await observed(template);
      expect(result.count).toBe(2);
      expect(result.sum).toBe(0); // the fake clock did not move while they built
      expect(result.labels).toMatchObject({
        template_name: template,
        preset_name: 'small',
        organization_name: 'default',
      });

      // A user's own workspace becoming ready is not a prebuild: nothing observed.
      const before = (await metrics().timeToReady.get()).values.length;
      const target = await createTarget(db.pool);
      const build = await enqueue(db.pool, target);
      expect((await waitForJob(db.pool, build.job.id)).job_status).toBe('succeeded');
      expect((await metrics().timeToReady.get()).values.length).toBe(before);
    } finally {
      await daemon.stop();
    }
  });

  it('is observed when the echo provisioner makes the agents ready later', async () => {
    const { template } = await pushPool(2);
    const daemon = await startTestDaemon({
      db: db.pool,
      url: db.url,
      clock,
      concurrency: 4,
      metrics: metrics(),
      echo: { agentReadyDelayMs: 2_000 },
    });
    try {
      await waitForIdle(db.pool);
      expect((await observed(template)).count).toBe(0); // built, agents still starting
      clock.advance(120_000);
      await vi.waitFor(async () => expect((await observed(template)).count).toBe(2), {
        timeout: 10_000,
        interval: 50,
      });
      const result = await observed(template);
      expect(result.sum).toBe(240);
      expect(result.le(60)).toBe(0);
      expect(result.le(120)).toBe(2);
    } finally {
      await daemon.stop();
    }
  });

  it('is observed once when an agent reports ready over the API', async () => {
    const { template, preset } = await pushPool(2);
    const daemon = await startTestDaemon({
      db: db.pool,
      url: db.url,
      clock,
      concurrency: 4,
      metrics: metrics(),
      echo: { agentReadyDelayMs: 3_600_000 },
    });
    try {
      await waitForIdle(db.pool);
      const workspaces = await db.pool.anyFirst(
        sql.type(z.object({ id: z.string() }))`
          SELECT w.id FROM workspaces w
          JOIN workspace_builds b ON b.workspace_id = w.id
          WHERE b.template_version_preset_id = ${preset} AND w.owner_id = ${SYSTEM_USER_ID}
          ORDER BY w.id`,
      );
      expect(workspaces).toHaveLength(2);
      clock.advance(45_000);
      const report = (state: string) =>
        app.app.inject({
          method: 'POST',
          url: `/api/v1/workspaces/${workspaces[0]}/agents/main/lifecycle`,
          headers: AUTH,
          payload: { state },
        });
      expect((await report('starting')).statusCode).toBe(200);
      expect((await observed(template)).count).toBe(0);
      expect((await report('ready')).statusCode).toBe(200);
      expect(await observed(template)).toMatchObject({ count: 1, sum: 45 });
      clock.advance(10_000);
      expect((await report('ready')).statusCode).toBe(200); // a repeated report counts once
      expect(await observed(template)).toMatchObject({ count: 1, sum: 45 });
    } finally {
      // Stopping fires the other prebuild's pending readiness: it becomes eligible now.
      await daemon.stop();
    }
    expect(await observed(template)).toMatchObject({ count: 2, sum: 45 + 55 });
  });
});
