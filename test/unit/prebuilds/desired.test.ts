import { describe, expect, it, vi } from 'vitest';

import { calculateActions } from '../../../src/domain/prebuilds/actions.js';
import { calculateState } from '../../../src/domain/prebuilds/state.js';
import type { DesiredResolver } from '../../../src/domain/schedule/types.js';
import {
  HOUR,
  MIN,
  NOW,
  options,
  presetSnapshot,
  running,
  stubResolver,
  summarize,
} from './builders.js';

const schedules = [
  { cron: '* 8-18 * * 1-5', instances: 3 },
  { cron: 'match', instances: 1 },
];

describe('desired count', () => {
  it.each([
    { name: 'no schedule matches: instances', schedules: [], desired: 2, index: null, cron: null },
    { name: 'a schedule matches: its instances', schedules, desired: 1, index: 1, cron: 'match' },
  ])('$name', ({ schedules: given, desired, index, cron }) => {
    const ps = presetSnapshot({ preset: { desiredInstances: 2, schedules: given } });
    expect(calculateState(ps, NOW, options(), stubResolver)).toMatchObject({
      desired,
      schedule: { index, cron, error: null },
    });
  });

  it('asks the resolver with the preset config and the pass instant', () => {
    const resolver = vi.fn<DesiredResolver>(() => ({ desired: 4, schedule: 0 }));
    const ps = presetSnapshot({
      preset: { desiredInstances: 2, schedulingTimezone: 'Europe/Paris', schedules },
    });
    expect(calculateState(ps, NOW, options(), resolver).desired).toBe(4);
    expect(resolver).toHaveBeenCalledWith(
      { instances: 2, timezone: 'Europe/Paris', schedules },
      NOW,
    );
  });

  it('never asks the resolver for an inactive preset: desired is 0', () => {
    const resolver = vi.fn<DesiredResolver>(() => ({ desired: 4, schedule: null }));
    for (const preset of [
      { usingActiveVersion: false },
      { templateDeleted: true },
      { templateDeprecated: true },
      { desiredInstances: null },
    ]) {
      expect(calculateState(presetSnapshot({ preset }), NOW, options(), resolver).desired).toBe(0);
    }
    expect(resolver).not.toHaveBeenCalled();
  });

  it('reports an invalid stored schedule and uses what the resolver fell back to', () => {
    const resolver: DesiredResolver = (config) => ({
      desired: config.instances,
      schedule: null,
      error: 'unknown timezone "Mars/Olympus"',
    });
    const ps = presetSnapshot({ preset: { desiredInstances: 2 } });
    expect(calculateState(ps, NOW, options(), resolver)).toMatchObject({
      desired: 2,
      schedule: { index: null, cron: null, error: 'unknown timezone "Mars/Olympus"' },
    });
  });

  it.each([-1, 1.5, Number.NaN])(
    'a resolver answer of %s is not a count: instances, with an error',
    (bad) => {
      const ps = presetSnapshot({ preset: { desiredInstances: 2 } });
      const state = calculateState(ps, NOW, options(), () => ({ desired: bad, schedule: 0 }));
      expect(state.desired).toBe(2);
      expect(state.schedule?.error).toMatch(/not a count; using instances/);
    },
  );
});

describe('a schedule crossing its boundary', () => {
  const pool = [
    running('oldest-ready', 5 * HOUR),
    running('young-not-ready', MIN, { ready: false }),
    running('mid-ready', 2 * HOUR),
  ];

  it('raises the pool: creates the difference', () => {
    const ps = presetSnapshot({
      preset: { desiredInstances: 3, schedules: [{ cron: 'match', instances: 5 }] },
      running: pool,
    });
    expect(summarize(calculateActions(ps, NOW, options(), stubResolver))).toEqual(['create 2']);
  });

  it('lowers the pool: the not-ready, then the oldest go', () => {
    const ps = presetSnapshot({
      preset: { desiredInstances: 3, schedules: [{ cron: 'match', instances: 1 }] },
      running: pool,
    });
    expect(summarize(calculateActions(ps, NOW, options(), stubResolver))).toEqual([
      'delete young-not-ready,oldest-ready',
    ]);
  });
});
