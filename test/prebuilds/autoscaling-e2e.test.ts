import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
  push,
  readyPrebuilds,
  reconcilerFor,
  templateYaml,
  uniqueName,
  waitForIdle,
} from './harness.js';

/**
 * End to end: claims through the API raise an expression-driven pool. The controller's pieces
 * (the prebuilds feature's API and metrics, its reconciler, the echo provisioner) on a real
 * database; the claim history is what the expression reads.
 */
const db = useTestDatabase();
const clock = new FakeClock(new Date());
let daemon: TestDaemon;
let app: TestApp;
let owner: string;

beforeAll(async () => {
  app = await buildTestApp(db, [prebuildsFeature], { clock });
  daemon = await echoDaemon(db, clock);
  owner = await createUser(db.pool);
});
afterAll(async () => {
  await daemon.stop();
  await app.close();
});

interface PresetStatus {
  preset: string;
  template: string;
  organization: string;
  desired: number;
  scheduled_target: number;
  target_source: string;
  target_error: string | null;
  forecast: unknown;
}

async function status(template: string): Promise<Record<string, PresetStatus>> {
  const response = await app.app.inject({ method: 'GET', url: '/api/v1/presets', headers: AUTH });
  expect(response.statusCode).toBe(200);
  const presets = response.json<{ presets: PresetStatus[] }>().presets;
  return Object.fromEntries(
    presets.filter((p) => p.template === template).map((p) => [p.preset, p]),
  );
}

async function claim(template: string, preset: string): Promise<boolean> {
  const response = await app.app.inject({
    method: 'POST',
    url: '/api/v1/workspaces',
    headers: AUTH,
    payload: { owner, template, preset, name: uniqueName('ws') },
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ claimed: boolean }>().claimed;
}

describe('an expression-driven pool', () => {
  it('grows with claims and misses, shrinks when demand leaves the window; a failing one falls back', async () => {
    const name = uniqueName('auto');
    const yaml = templateYaml(name, [
      { name: 'demand', instances: 1 },
      { name: 'broken', instances: 2 },
    ])
      .replace(
        '      instances: 1\n',
        '      instances: 1\n      autoscaling:\n        expression: "max(scheduled_target, (claims_10m + misses_10m) * 2)"\n',
      )
      .replace(
        '      instances: 2\n',
        // Valid at push; 0 / 0 is NaN at run time.
        '      instances: 2\n      autoscaling:\n        expression: "ceil(claims_10m / misses_10m)"\n',
      );
    const { presets } = await push(db, yaml);
    const demand = presets.demand as string;
    const reconciler = reconcilerFor(db, clock, {
      metrics: prebuildMetricsFor(app.context.registry),
    });

    await reconciler.reconcileOnce();
    await waitForIdle(db.pool);
    expect(await readyPrebuilds(db.pool, demand)).toHaveLength(1);
    let presetStatus = await status(name);
    expect(presetStatus.demand).toMatchObject({
      desired: 1,
      scheduled_target: 1,
      target_source: 'expression',
      target_error: null,
      forecast: null,
    });
    expect(presetStatus.broken).toMatchObject({
      desired: 2,
      scheduled_target: 2,
      target_source: 'expression_fallback',
      target_error: expect.stringMatching(/NaN|not a number|finite/i),
    });

    // One claim takes the prebuild (hit), the next finds none (miss): demand 2 in 10 minutes.
    expect(await claim(name, 'demand')).toBe(true);
    expect(await claim(name, 'demand')).toBe(false);
    clock.advance(1_000);
    const grown = await reconciler.reconcileOnce();
    expect(grown).toMatchObject({ outcome: 'reconciled', errors: 0 });
    await waitForIdle(db.pool);
    expect(await readyPrebuilds(db.pool, demand)).toHaveLength(4);
    presetStatus = await status(name);
    expect(presetStatus.demand).toMatchObject({
      desired: 4,
      scheduled_target: 1,
      target_source: 'expression',
    });

    const labels = {
      template_name: name,
      preset_name: 'demand',
      organization_name: presetStatus.demand?.organization ?? '',
    };
    const scraped = parseExposition(
      (await app.app.inject({ method: 'GET', url: '/metrics' })).body,
    );
    expect(metricValue(scraped, 'coderd_prebuilt_workspaces_desired', labels)).toBe(4);
    expect(metricValue(scraped, 'coderd_prebuilt_workspaces_scheduled_target', labels)).toBe(1);
    expect(
      metricValue(scraped, 'coderd_prebuilt_workspaces_target_source', {
        ...labels,
        source: 'expression',
      }),
    ).toBe(1);
    expect(
      metricValue(scraped, 'coderd_prebuilt_workspaces_target_source', {
        ...labels,
        source: 'forecast',
      }),
    ).toBe(0);
    expect(
      metricValue(scraped, 'coderd_prebuilt_workspaces_autoscaling_fallback', {
        ...labels,
        preset_name: 'broken',
      }),
    ).toBe(1);

    // Eleven minutes later the attempts left the 10-minute window: back to the schedule's 1.
    clock.advance(11 * 60_000);
    await reconciler.reconcileOnce();
    await waitForIdle(db.pool);
    expect(await readyPrebuilds(db.pool, demand)).toHaveLength(1);
    expect((await status(name)).demand).toMatchObject({ desired: 1, target_source: 'expression' });
  });
});
