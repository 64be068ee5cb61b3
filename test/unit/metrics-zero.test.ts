import { describe, expect, it } from 'vitest';

import { calculateState } from '../../src/domain/prebuilds/state.js';
import { jobMetricsFor } from '../../src/jobs/metrics.js';
import { observeTimeToReady } from '../../src/jobs/prebuild-ready.js';
import { lifecycleMetrics } from '../../src/lifecycle/metrics.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { combinations, observeSeries } from '../../src/metrics/zero.js';
import { notificationMetrics } from '../../src/notifications/metrics.js';
import { prebuildMetricsFor } from '../../src/prebuilds/metrics.js';
import { NOW, options, presetSnapshot, stubResolver } from './prebuilds/builders.js';

/**
 * A counter series created by its first inc() starts at 1 and increase() never sees that step
 * (a replica's first reap, the first notification delivered). Every known series exists at 0
 * before anything happens.
 */
describe('counters start at 0, before their first event', () => {
  it('jobs, lifecycle and notifications: every known label combination', async () => {
    const registry = createRegistry();
    jobMetricsFor(registry);
    lifecycleMetrics(registry);
    notificationMetrics(registry);
    const text = await registry.metrics();
    for (const series of [
      'coderd_provisioner_jobs_reaped_total{provisioner="echo",type="workspace_build"} 0',
      'coderd_provisioner_jobs_canceled_total{provisioner="exec",type="workspace_build"} 0',
      'coderd_provisioner_jobs_completed_total{provisioner="echo",type="workspace_build"} 0',
      'coderd_provisioner_jobs_failed_total{provisioner="echo",type="workspace_build",error_code="heartbeat_timeout"} 0',
      'coderd_workspace_builds_enqueued_total{provisioner_type="echo",build_reason="prebuild",transition="start",status="success"} 0',
      'coderd_lifecycle_jobs_total{outcome="skipped"} 0',
      'coderd_lifecycle_transitions_total{operation="stop",reason="autostop"} 0',
      'coderd_lifecycle_autostop_reminders_total{outcome="sent"} 0',
      'coderd_notifications_delivered_total{template="workspace_deleted",method="webhook"} 0',
      'coderd_notifications_failed_total{template="autostop_reminder",method="log",kind="permanent"} 0',
    ]) {
      expect(text).toContain(series);
    }
  });

  it('claim misses: a series per preset once a scrape sees the preset', async () => {
    const registry = createRegistry();
    const metrics = prebuildMetricsFor(registry);
    const ps = presetSnapshot();
    const state = calculateState(ps, NOW, options(), stubResolver);
    metrics.setStateSource(async () => ({
      at: NOW,
      paused: false,
      pauseChange: { by: null, at: null },
      plans: [{ preset: ps.preset, state, actions: [] }],
    }));
    expect(await registry.metrics()).toContain(
      'coderd_prebuilt_workspace_claim_misses_total{template_name="dev-env",preset_name="us-nix",organization_name="default"} 0',
    );
  });

  it('time to ready: a new series shows at 0 in one scrape before its first observation', async () => {
    const registry = createRegistry();
    const labels = 'template_name="dev-env",preset_name="us-nix",organization_name="default"';
    const count = 'coderd_prebuilt_workspaces_time_to_ready_seconds_count';
    const ready = { template_name: 'dev-env', preset_name: 'us-nix', organization_name: 'default' };
    jobMetricsFor(registry);
    // A preset never observed costs no series at all.
    expect(await registry.metrics()).not.toContain(`${count}{`);
    observeTimeToReady(jobMetricsFor(registry), { ...ready, seconds: 42 });
    observeTimeToReady(jobMetricsFor(registry), { ...ready, seconds: 8 });
    expect(await registry.metrics()).toContain(`${count}{${labels}} 0`);
    const text = await registry.metrics();
    expect(text).toContain(`${count}{${labels}} 2`);
    expect(text).toContain(`coderd_prebuilt_workspaces_time_to_ready_seconds_sum{${labels}} 50`);
    // Once shown, observations apply at once and are never reset.
    observeTimeToReady(jobMetricsFor(registry), { ...ready, seconds: 1 });
    expect(await registry.metrics()).toContain(`${count}{${labels}} 3`);
  });

  it('claim duration: held through a scrape once, then applied; other series unaffected', async () => {
    const registry = createRegistry();
    const metrics = prebuildMetricsFor(registry);
    const usNix = { organization_name: 'default', template_name: 'dev-env', preset_name: 'us-nix' };
    const euNix = { ...usNix, preset_name: 'eu-nix' };
    const count = 'coderd_prebuilt_workspace_claim_duration_seconds_count';
    const series = (preset: string) =>
      `${count}{organization_name="default",template_name="dev-env",preset_name="${preset}"}`;
    observeSeries(metrics.claimDuration, usNix, 0.02);
    expect(await registry.metrics()).toContain(`${series('us-nix')} 0`);
    observeSeries(metrics.claimDuration, euNix, 0.5);
    const second = await registry.metrics();
    expect(second).toContain(`${series('us-nix')} 1`);
    expect(second).toContain(`${series('eu-nix')} 0`);
    const third = await registry.metrics();
    expect(third).toContain(`${series('eu-nix')} 1`);
    expect(third).toContain(`${series('us-nix')} 1`);
  });

  it('workspace creations: a series for every preset of an active version, prebuilds or not', async () => {
    const registry = createRegistry();
    const metrics = prebuildMetricsFor(registry);
    metrics.setPresetNamesSource(async () => [
      { template_name: 'dev-env', preset_name: 'plain', organization_name: 'default' },
    ]);
    expect(await registry.metrics()).toContain(
      'coderd_workspace_creation_total{template_name="dev-env",preset_name="plain",organization_name="default"} 0',
    );
    metrics.setPresetNamesSource(() => Promise.reject(new Error('database down')));
    expect(await registry.metrics()).toContain('coderd_workspace_creation_total');
  });

  it('combinations are the cartesian product of the label values', () => {
    expect(combinations({ a: ['1', '2'], b: ['x'] })).toEqual([
      { a: '1', b: 'x' },
      { a: '2', b: 'x' },
    ]);
  });
});
