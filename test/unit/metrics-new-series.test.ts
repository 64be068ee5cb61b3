import { describe, expect, it } from 'vitest';

import { calculateState } from '../../src/domain/prebuilds/state.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { NewSeriesHold } from '../../src/metrics/new-series.js';
import type { PrebuildCounters } from '../../src/prebuilds/counters.js';
import { prebuildMetricsFor } from '../../src/prebuilds/metrics.js';
import { NOW, options, presetSnapshot, stubResolver } from './prebuilds/builders.js';

function row(presetName: string, created: number, failed = 0): PrebuildCounters {
  return {
    templateName: 'dev-env',
    presetName,
    organizationName: 'default',
    created,
    failed,
    claimed: 0,
  };
}

/**
 * The lifetime prebuild counters are totals read from the database every minute: a preset whose
 * first row comes in a later load would be born at its total, and increase() would miss it.
 */
describe('database-derived counters: a new series is rendered at 0 before its value', () => {
  function setup() {
    const registry = createRegistry();
    const metrics = prebuildMetricsFor(registry);
    // Like CountersCache: the same array until the next load.
    let rows: readonly PrebuildCounters[] = [row('a', 2, 1)];
    metrics.setCountersSource(async () => rows);
    const load = (next: readonly PrebuildCounters[]) => {
      rows = next;
    };
    const created = async (preset: string) => {
      const text = await registry.metrics();
      const line = text
        .split('\n')
        .find((l) =>
          l.startsWith(
            `coderd_prebuilt_workspaces_created_total{template_name="dev-env",preset_name="${preset}",`,
          ),
        );
      return line === undefined ? undefined : Number(line.split(' ').at(-1));
    };
    return { registry, metrics, load, created };
  }

  it('keeps the first load (totals at process start), holds a later new preset one load', async () => {
    const { registry, load, created } = setup();
    expect(await created('a')).toBe(2);

    load([row('a', 3, 1), row('b', 2, 1)]);
    expect(await created('a')).toBe(3);
    expect(await created('b')).toBe(0);
    expect(await registry.metrics()).toContain(
      'coderd_prebuilt_workspaces_failed_total{template_name="dev-env",preset_name="b",organization_name="default"} 0',
    );
    expect(await created('b')).toBe(0); // until the next load

    load([row('a', 3, 1), row('b', 2, 1)]);
    expect(await created('b')).toBe(2);
    expect(await registry.metrics()).toContain(
      'coderd_prebuilt_workspaces_failed_total{template_name="dev-env",preset_name="b",organization_name="default"} 1',
    );
  });

  it('holds a new preset again when no scrape rendered it at 0 before the next load', async () => {
    const { load, created } = setup();
    expect(await created('a')).toBe(2);
    load([row('a', 2, 1), row('b', 1)]);
    load([row('a', 2, 1), row('b', 1)]); // no scrape in between
    expect(await created('b')).toBe(0);
    load([row('a', 2, 1), row('b', 1)]);
    expect(await created('b')).toBe(1);
  });

  it('a preset already at 0 (reported by the state view) takes its value at once', async () => {
    const { metrics, load, created } = setup();
    const ps = presetSnapshot();
    metrics.setStateSource(async () => ({
      at: NOW,
      paused: false,
      pauseChange: { by: null, at: null },
      plans: [
        { preset: ps.preset, state: calculateState(ps, NOW, options(), stubResolver), actions: [] },
      ],
    }));
    expect(await created('us-nix')).toBe(0);
    load([row('a', 2, 1), row('us-nix', 1)]);
    expect(await created('us-nix')).toBe(1);
  });

  it('a series that disappears is new again when it comes back', () => {
    const hold = new NewSeriesHold();
    const first = ['x'];
    hold.read(first, () => first);
    hold.rendered(first);
    const gone: string[] = [];
    hold.read(gone, () => gone);
    hold.rendered(gone);
    const back = ['x'];
    hold.read(back, () => back);
    expect(hold.held('x')).toBe(true);
    hold.read(back, () => back); // the same load read again: no change
    expect(hold.held('x')).toBe(true);
  });
});
