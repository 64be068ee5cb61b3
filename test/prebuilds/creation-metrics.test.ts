import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { jobMetricsFor } from '../../src/jobs/metrics.js';
import { prebuildsFeature } from '../../src/prebuilds/feature.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import { startTestDaemon, type TestDaemon } from '../jobs/helpers.js';
import { metricValue, parseExposition } from './exposition.js';
import { push, reconcilerFor, templateYaml, uniqueName, waitForIdle } from './harness.js';

const db = useTestDatabase();
const clock = new FakeClock('2026-03-02T10:00:00Z');
let daemon: TestDaemon;
let app: TestApp;

beforeAll(async () => {
  app = await buildTestApp(db, [prebuildsFeature], { clock });
  daemon = await startTestDaemon({
    db: db.pool,
    url: db.url,
    clock,
    pollIntervalMs: 200,
    metrics: jobMetricsFor(app.context.registry),
    echo: { durationMs: 5 },
  });
});
afterAll(async () => {
  await daemon.stop();
  await app.close();
});

/**
 * Coder's Prebuilds dashboard reads coderd_workspace_creation_total (regular workspaces created
 * from a preset) and coderd_workspace_creation_duration_seconds{type="regular"|"prebuild"}.
 */
describe("Coder's workspace creation metrics", () => {
  it('count regular creations from a preset, not claims, and time first builds by type', async () => {
    const name = uniqueName('creation');
    await push(
      db,
      templateYaml(name, [
        { name: 'warm', instances: 1 },
        { name: 'cold', parameters: { slot: 'cold' } },
      ]),
    );
    expect((await reconcilerFor(db, clock).reconcileOnce()).created).toBe(1);
    await waitForIdle(db.pool);
    const owner = await createUser(db.pool);
    const create = async (preset: string, workspace: string) => {
      const response = await app.app.inject({
        method: 'POST',
        url: '/api/v1/workspaces',
        headers: AUTH,
        payload: { owner, template: name, preset, name: workspace },
      });
      expect(response.statusCode).toBe(201);
      return response.json<{ claimed: boolean }>().claimed;
    };
    expect(await create('warm', 'claimed')).toBe(true);
    expect(await create('cold', 'regular')).toBe(false);
    await waitForIdle(db.pool);

    const metrics = parseExposition(
      (await app.app.inject({ method: 'GET', url: '/metrics' })).body,
    );
    const preset = (preset_name: string) => ({
      organization_name: 'default',
      template_name: name,
      preset_name,
    });
    expect(metricValue(metrics, 'coderd_workspace_creation_total', preset('cold'))).toBe(1);
    expect(metricValue(metrics, 'coderd_workspace_creation_total', preset('warm'))).toBe(0);
    const count = 'coderd_workspace_creation_duration_seconds_count';
    expect(metricValue(metrics, count, { ...preset('warm'), type: 'prebuild' })).toBe(1);
    expect(metricValue(metrics, count, { ...preset('cold'), type: 'regular' })).toBe(1);
    // A claim is no creation: no regular series for the warm preset.
    expect(metricValue(metrics, count, { ...preset('warm'), type: 'regular' })).toBeUndefined();
  });
});
