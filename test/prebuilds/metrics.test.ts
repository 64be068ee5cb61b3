import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { prebuildsFeature } from '../../src/prebuilds/feature.js';
import { prebuildMetricsFor } from '../../src/prebuilds/metrics.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import type { TestDaemon } from '../jobs/helpers.js';
import { type Exposition, metricValue, parseExposition, samplesOf } from './exposition.js';
import {
  echoDaemon,
  push,
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
  app = await buildTestApp(db, [prebuildsFeature], {
    clock,
    config: { prebuildMetricsInterval: '1s' },
  });
  daemon = await echoDaemon(db, clock);
});
afterAll(async () => {
  await daemon.stop();
  await app.close();
});

async function scrape(): Promise<Exposition> {
  const response = await app.app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return parseExposition(response.body);
}

async function status() {
  const response = await app.app.inject({ method: 'GET', url: '/api/v1/presets', headers: AUTH });
  expect(response.statusCode).toBe(200);
  return response.json<{
    at: string;
    paused: boolean;
    presets: {
      template: string;
      preset: string;
      organization: string;
      active_version: boolean;
      desired: number;
      running: number;
      ready: number;
      status: string;
    }[];
  }>();
}

const GAUGES = {
  coderd_prebuilt_workspaces_desired: 'desired',
  coderd_prebuilt_workspaces_running: 'running',
  coderd_prebuilt_workspaces_eligible: 'ready',
} as const;

describe('/metrics', () => {
  it('matches prebuilds status for the same moment', async () => {
    // A settled pool, a pool with a not-ready and a still-starting prebuild, a hard-limited
    // preset, and an old version still holding prebuilds (status shows it, the gauges do not:
    // its labels would collide with the active version's).
    const settled = uniqueName('settled');
    await push(
      db,
      templateYaml(settled, [
        { name: 'a', instances: 2 },
        { name: 'b', instances: 1 },
      ]),
    );
    const busy = uniqueName('busy');
    const old = await push(db, templateYaml(busy, [{ name: 'c', instances: 3 }]));
    const reconciler = reconcilerFor(db, clock, {
      metrics: prebuildMetricsFor(app.context.registry),
    });
    await reconciler.reconcileOnce();
    await waitForIdle(db.pool);
    await push(db, templateYaml(busy, [{ name: 'c', instances: 2 }]));
    await db.pool.query(sql.unsafe`
      UPDATE workspace_agents SET lifecycle_state = 'starting'
      WHERE workspace_id = (SELECT w.id FROM workspaces w JOIN workspace_builds b ON b.workspace_id = w.id
                            WHERE b.template_version_preset_id = ${old.presets.c as string} LIMIT 1)`);
    const limited = uniqueName('limited');
    const { presets } = await push(db, templateYaml(limited, [{ name: 'd', instances: 1 }]));
    await db.pool.query(sql.unsafe`
      UPDATE template_version_presets SET prebuild_status = 'hard_limited' WHERE id = ${presets.d as string}`);

    clock.advance(10_000);
    const state = await status();
    const metrics = await scrape();
    const active = state.presets.filter((p) => p.active_version);
    expect(active.length).toBeGreaterThanOrEqual(4);
    expect(state.presets.some((p) => !p.active_version && p.template === busy)).toBe(true);
    for (const [metric, field] of Object.entries(GAUGES)) {
      const samples = samplesOf(metrics, metric);
      expect(samples).toHaveLength(active.length);
      for (const preset of active) {
        const labels = {
          template_name: preset.template,
          preset_name: preset.preset,
          organization_name: preset.organization,
        };
        expect({
          metric,
          preset: preset.preset,
          value: metricValue(metrics, metric, labels),
        }).toEqual({
          metric,
          preset: preset.preset,
          value: preset[field],
        });
      }
    }
    for (const preset of active) {
      const labels = {
        template_name: preset.template,
        preset_name: preset.preset,
        organization_name: preset.organization,
      };
      expect(metricValue(metrics, 'coderd_prebuilt_workspaces_preset_hard_limited', labels)).toBe(
        preset.status === 'hard_limited' ? 1 : 0,
      );
      // Lifetime counters have a series for every preset from the start.
      expect(metricValue(metrics, 'coderd_prebuilt_workspaces_created_total', labels)).toBeTypeOf(
        'number',
      );
    }
    expect(metricValue(metrics, 'coderd_prebuilt_workspaces_metrics_last_updated')).toBe(
      Math.floor(clock.now().getTime() / 1000),
    );
    expect(metricValue(metrics, 'coderd_prebuilt_workspaces_reconciliation_paused')).toBe(0);
    expect(
      metricValue(metrics, 'coderd_prebuilds_reconciliation_duration_seconds_count'),
    ).toBeGreaterThanOrEqual(1);

    // The busy preset: 2 wanted, 3 running on the old version (not in the gauges), 0 on the new.
    const busyLabels = { template_name: busy, preset_name: 'c', organization_name: 'default' };
    expect(metricValue(metrics, 'coderd_prebuilt_workspaces_desired', busyLabels)).toBe(2);
    expect(metricValue(metrics, 'coderd_prebuilt_workspaces_running', busyLabels)).toBe(0);
  });

  it("uses Coder's names, help texts and types", async () => {
    const metrics = await scrape();
    expect(metrics.types.get('coderd_prebuilt_workspaces_created_total')).toBe('counter');
    expect(metrics.types.get('coderd_prebuilt_workspaces_desired')).toBe('gauge');
    expect(metrics.types.get('coderd_prebuilds_reconciliation_duration_seconds')).toBe('histogram');
    expect(metrics.types.get('coderd_prebuilt_workspace_claim_duration_seconds')).toBe('histogram');
    expect(metrics.help.get('coderd_prebuilt_workspaces_failed_total')).toBe(
      'Total number of prebuilt workspaces that failed to build.',
    );
    expect(metrics.help.get('coderd_prebuilt_workspaces_reconciliation_paused')).toBe(
      'Indicates whether prebuilds reconciliation is currently paused (1 = paused, 0 = not paused).',
    );
    expect(metrics.help.get('coderd_prebuilds_reconciliation_duration_seconds')).toBe(
      'Duration of each prebuilds reconciliation cycle.',
    );
  });

  it('counts created, failed and claimed from the database, and drops presets that disappear', async () => {
    const name = uniqueName('counted');
    await push(db, templateYaml(name, [{ name: 'e', instances: 2 }]));
    const labels = { template_name: name, preset_name: 'e', organization_name: 'default' };
    clock.advance(10_000);
    let metrics = await scrape();
    expect(metricValue(metrics, 'coderd_prebuilt_workspaces_created_total', labels)).toBe(0);

    await reconcilerFor(db, clock).reconcileOnce();
    await waitForIdle(db.pool);
    const owner = await createUser(db.pool);
    const claim = await app.app.inject({
      method: 'POST',
      url: '/api/v1/workspaces',
      headers: AUTH,
      payload: { owner, template: name, preset: 'e', name: 'mine' },
    });
    expect(claim.json().claimed).toBe(true);
    // The counters are recomputed on their own interval (1 s here), not at every scrape.
    await vi.waitFor(
      async () => {
        const now = await scrape();
        expect({
          created: metricValue(now, 'coderd_prebuilt_workspaces_created_total', labels),
          failed: metricValue(now, 'coderd_prebuilt_workspaces_failed_total', labels),
          claimed: metricValue(now, 'coderd_prebuilt_workspaces_claimed_total', labels),
        }).toEqual({ created: 2, failed: 0, claimed: 1 });
      },
      { timeout: 10_000, interval: 200 },
    );

    // Gone: the template is deleted, its series disappear once the cached view is older than 5 s.
    await db.pool.query(sql.unsafe`UPDATE templates SET deleted = true WHERE name = ${name}`);
    clock.advance(6_000);
    metrics = await scrape();
    expect(metricValue(metrics, 'coderd_prebuilt_workspaces_desired', labels)).toBeUndefined();
    // The counters follow at their next refresh.
    await vi.waitFor(
      async () =>
        expect(
          metricValue(await scrape(), 'coderd_prebuilt_workspaces_created_total', labels),
        ).toBeUndefined(),
      { timeout: 10_000, interval: 200 },
    );
  });

  it('has creation series for presets without prebuilds at 0, and a claim duration at 0 one scrape before its first value', async () => {
    const name = uniqueName('first');
    await push(
      db,
      templateYaml(name, [
        { name: 'pooled', instances: 1 },
        { name: 'plain', parameters: { slot: 'x' } },
      ]),
    );
    const pooled = { template_name: name, preset_name: 'pooled', organization_name: 'default' };
    const plain = { template_name: name, preset_name: 'plain', organization_name: 'default' };
    clock.advance(10_000);
    let metrics = await scrape();
    expect({
      pooled: metricValue(metrics, 'coderd_workspace_creation_total', pooled),
      plain: metricValue(metrics, 'coderd_workspace_creation_total', plain),
      claims: metricValue(
        metrics,
        'coderd_prebuilt_workspace_claim_duration_seconds_count',
        pooled,
      ),
      plainClaims: metricValue(
        metrics,
        'coderd_prebuilt_workspace_claim_duration_seconds_count',
        plain,
      ),
    }).toEqual({ pooled: 0, plain: 0, claims: undefined, plainClaims: undefined });

    await reconcilerFor(db, clock).reconcileOnce();
    await waitForIdle(db.pool);
    const owner = await createUser(db.pool);
    for (const [preset, claimed] of [
      ['pooled', true],
      ['plain', false],
    ] as const) {
      const created = await app.app.inject({
        method: 'POST',
        url: '/api/v1/workspaces',
        headers: AUTH,
        payload: { owner, template: name, preset, name: `mine-${preset}` },
      });
      expect(created.json().claimed).toBe(claimed);
    }
    metrics = await scrape();
    expect({
      plain: metricValue(metrics, 'coderd_workspace_creation_total', plain),
      claims: metricValue(
        metrics,
        'coderd_prebuilt_workspace_claim_duration_seconds_count',
        pooled,
      ),
    }).toEqual({ plain: 1, claims: 0 });
    expect(
      metricValue(await scrape(), 'coderd_prebuilt_workspace_claim_duration_seconds_count', pooled),
    ).toBe(1);
  });

  it('shows a pause at once', async () => {
    const paused = await app.app.inject({
      method: 'POST',
      url: '/api/v1/prebuilds/pause',
      headers: AUTH,
    });
    expect(paused.json()).toEqual({ paused: true, changed_by: 'bootstrap' });
    expect(metricValue(await scrape(), 'coderd_prebuilt_workspaces_reconciliation_paused')).toBe(1);
    expect((await status()).paused).toBe(true);
    const resumed = await app.app.inject({
      method: 'POST',
      url: '/api/v1/prebuilds/resume',
      headers: AUTH,
    });
    expect(resumed.json()).toEqual({ paused: false, changed_by: 'bootstrap' });
    expect(metricValue(await scrape(), 'coderd_prebuilt_workspaces_reconciliation_paused')).toBe(0);
  });
});
