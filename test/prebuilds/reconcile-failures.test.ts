import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { prebuildsFeature } from '../../src/prebuilds/feature.js';
import { prebuildMetricsFor } from '../../src/prebuilds/metrics.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import type { TestDaemon } from '../jobs/helpers.js';
import { metricValue, parseExposition } from './exposition.js';
import {
  echoDaemon,
  HOUR,
  MIN,
  presetBuilds,
  push,
  readyPrebuilds,
  reconcilerFor,
  templateYaml,
  uniqueName,
  waitForIdle,
} from './harness.js';

const db = useTestDatabase();
const clock = new FakeClock('2026-03-02T10:00:00Z');
let daemon: TestDaemon;
let app: TestApp;

beforeAll(async () => {
  app = await buildTestApp(db, [prebuildsFeature], { clock, config: { failureHardLimit: '4' } });
});
afterAll(async () => {
  await daemon?.stop();
  await app.close();
});

const Message = z.object({ user_id: z.string().nullable(), payload: z.record(z.unknown()) });
const hardLimitMessages = () =>
  db.pool.any(sql.type(Message)`
    SELECT user_id, payload FROM notification_messages
    WHERE template = 'prebuild_preset_hard_limited' ORDER BY created_at`);

async function api(method: 'GET' | 'POST', url: string) {
  const response = await app.app.inject({ method, url: `/api/v1${url}`, headers: AUTH });
  expect(response.statusCode).toBe(200);
  return response.json();
}

async function presetStatus(id: string) {
  const status = await api('GET', '/presets');
  return status.presets.find((p: { id: string }) => p.id === id);
}

async function planOf(id: string) {
  const plan = await api('GET', '/presets/plan');
  return plan.presets.find((p: { id: string }) => p.id === id);
}

describe('failing prebuild builds', () => {
  it('back off with growing waits, stop at the hard limit (status, metric, one notification), and reset clears it', async () => {
    const admin = await createUser(db.pool, { roles: ['template-admin'] });
    const name = uniqueName('flaky');
    const { presets } = await push(db, templateYaml(name, [{ name: 'broken', instances: 1 }]));
    const preset = presets.broken as string;
    const reconciler = reconcilerFor(db, clock, { options: { failureHardLimit: 4 } });
    daemon = await echoDaemon(db, clock, { failureRate: 1 });

    // Failure n waits base x 2^(n-1): 1, 2, 4 minutes; the 4th failure reaches the hard limit.
    const waits: number[] = [];
    for (let failure = 1; failure <= 3; failure++) {
      expect((await reconciler.reconcileOnce()).created).toBe(1);
      await waitForIdle(db.pool);
      const failedAt = clock.now().getTime();
      const pass = await reconciler.reconcileOnce();
      expect(pass).toMatchObject({ created: 0, backingOff: 1 });
      const backoff = (await planOf(preset)).actions.find(
        (a: { type: string }) => a.type === 'backoff',
      );
      expect(backoff.reason).toContain(`${failure} consecutive creation failure`);
      const until = new Date(backoff.until).getTime();
      waits.push(until - failedAt);
      expect((await presetStatus(preset)).backoff_until).toBe(backoff.until);
      clock.set(new Date(until - 1_000));
      expect((await reconciler.reconcileOnce()).created).toBe(0);
      clock.set(new Date(until + 1_000));
    }
    expect(waits).toEqual([1 * MIN, 2 * MIN, 4 * MIN]);

    expect((await reconciler.reconcileOnce()).created).toBe(1);
    await waitForIdle(db.pool);
    const limited = await reconciler.reconcileOnce();
    expect(limited).toMatchObject({ created: 0, statusChanges: 1 });
    expect(await presetStatus(preset)).toMatchObject({
      status: 'hard_limited',
      stored_status: 'hard_limited',
    });
    expect((await presetStatus(preset)).creation_blocked).toContain('hard limit');
    const metrics = parseExposition(
      (await app.app.inject({ method: 'GET', url: '/metrics' })).body,
    );
    const labels = { template_name: name, preset_name: 'broken', organization_name: 'default' };
    expect(metricValue(metrics, 'coderd_prebuilt_workspaces_preset_hard_limited', labels)).toBe(1);
    expect(await hardLimitMessages()).toEqual([
      {
        user_id: admin,
        payload: {
          template: name,
          preset: 'broken',
          organization: 'default',
          template_version: 'v1',
          failed_builds: 4,
        },
      },
    ]);

    // Later passes create nothing and notify nobody again; failed prebuilds are still cleaned up.
    // (Their deletes fail too with this daemon, and are retried after a backoff.)
    for (let pass = 0; pass < 3; pass++) {
      clock.advance(HOUR);
      expect(await reconciler.reconcileOnce()).toMatchObject({ created: 0, statusChanges: 0 });
      await waitForIdle(db.pool);
    }
    const builds = await presetBuilds(db.pool, preset);
    expect(builds.start).toBe(4);
    expect(builds.delete).toBeGreaterThanOrEqual(4);
    expect(await hardLimitMessages()).toHaveLength(1);
    expect((await presetStatus(preset)).status).toBe('hard_limited');

    // Reset: healthy, the old failures no longer count, creation resumes at once.
    const reset = await api('POST', `/presets/${preset}/reset`);
    expect(reset.preset).toMatchObject({ status: 'healthy' });
    await daemon.stop();
    daemon = await echoDaemon(db, clock);
    expect(await presetStatus(preset)).toMatchObject({ status: 'healthy', backoff_until: null });
    expect((await reconciler.reconcileOnce()).created).toBe(1);
    await waitForIdle(db.pool);
    expect(await readyPrebuilds(db.pool, preset)).toHaveLength(1);
    expect(
      metricValue(
        parseExposition((await app.app.inject({ method: 'GET', url: '/metrics' })).body),
        'coderd_prebuilt_workspaces_preset_hard_limited',
        labels,
      ),
    ).toBe(0);
  });

  it("a failing create is counted and logged, its preset's other creates wait, other presets go on", async () => {
    const name = uniqueName('isolated');
    const { presets } = await push(
      db,
      templateYaml(name, [
        { name: 'bad', instances: 3 },
        { name: 'good', instances: 1 },
      ]),
    );
    // Fault injection: any build of the bad preset fails to insert.
    await db.pool.query(sql.unsafe`
      CREATE FUNCTION test_fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
    await db.pool.query(sql.unsafe`
      CREATE TRIGGER test_fail_insert BEFORE INSERT ON workspace_builds FOR EACH ROW
      WHEN (NEW.template_version_preset_id = ${sql.literalValue(presets.bad as string)}::uuid)
      EXECUTE FUNCTION test_fail_insert()`);
    try {
      const reconciler = reconcilerFor(db, clock, {
        concurrency: 1,
        metrics: prebuildMetricsFor(app.context.registry),
      });
      clock.advance(10_000);
      // One at a time in plan order: bad's first create fails, its other two are dropped for
      // this pass; good's is made.
      expect(await reconciler.reconcileOnce()).toMatchObject({
        created: 1,
        errors: 1,
        skipped: 2,
      });
      expect(await presetBuilds(db.pool, presets.bad as string)).toEqual({});
      expect(await presetBuilds(db.pool, presets.good as string)).toEqual({ start: 1 });
      // Nothing half-written: the failed create's workspace rolled back with its build.
      expect(
        await db.pool.oneFirst(sql.unsafe`
          SELECT count(*)::int FROM workspaces w
          WHERE w.template_id = (SELECT template_id FROM template_versions tv
                                 JOIN template_version_presets p ON p.template_version_id = tv.id
                                 WHERE p.id = ${presets.bad as string})
            AND NOT EXISTS (SELECT 1 FROM workspace_builds b WHERE b.workspace_id = w.id)`),
      ).toBe(0);
      const metrics = parseExposition(
        (await app.app.inject({ method: 'GET', url: '/metrics' })).body,
      );
      expect(
        metricValue(metrics, 'coderd_prebuilds_reconciliation_errors_total', { kind: 'create' }),
      ).toBe(1);
      // The next pass tries again.
      expect(await reconciler.reconcileOnce()).toMatchObject({ errors: 1, skipped: 2 });
    } finally {
      await db.pool.query(sql.unsafe`DROP TRIGGER test_fail_insert ON workspace_builds`);
    }
  });
});
