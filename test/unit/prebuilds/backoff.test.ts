import { describe, expect, it } from 'vitest';

import { calculateActions } from '../../../src/domain/prebuilds/actions.js';
import { backoffDelayMs, backoffUntil } from '../../../src/domain/prebuilds/backoff.js';
import { calculateState } from '../../../src/domain/prebuilds/state.js';
import {
  HOUR,
  MIN,
  NOW,
  options,
  presetSnapshot,
  PRESET_ID,
  running,
  type SnapshotInput,
  stubResolver,
  summarize,
} from './builders.js';

describe('backoff delay: base x 2^(failures - 1), capped', () => {
  it.each([
    { failures: 0, base: MIN, cap: 30 * MIN, wait: 0 },
    { failures: 1, base: MIN, cap: 30 * MIN, wait: MIN },
    { failures: 2, base: MIN, cap: 30 * MIN, wait: 2 * MIN },
    { failures: 3, base: MIN, cap: 30 * MIN, wait: 4 * MIN },
    { failures: 5, base: MIN, cap: 30 * MIN, wait: 16 * MIN },
    { failures: 6, base: MIN, cap: 30 * MIN, wait: 30 * MIN },
    { failures: 1000, base: MIN, cap: 30 * MIN, wait: 30 * MIN },
    { failures: 3, base: 10_000, cap: 25_000, wait: 25_000 },
    { failures: 2, base: 10_000, cap: 10_000, wait: 10_000 },
  ])('$failures failures, base $base, cap $cap: wait $wait ms', ({ failures, base, cap, wait }) => {
    expect(backoffDelayMs(failures, base, cap)).toBe(wait);
  });

  it('counts from the last failure', () => {
    const last = new Date('2026-03-02T11:00:00Z');
    expect(
      backoffUntil({ presetId: PRESET_ID, failedCount: 3, lastFailureAt: last }, MIN, HOUR),
    ).toEqual(new Date('2026-03-02T11:04:00Z'));
    expect(backoffUntil(null, MIN, HOUR)).toBeNull();
  });
});

interface Case {
  name: string;
  given: SnapshotInput;
  options?: Parameters<typeof options>[0];
  then: string[];
}

const at = (msAfterNow: number) => new Date(NOW.getTime() + msAfterNow).toISOString();

// Backoff holds back creation only; the backoff action replaces the create.
const cases: Case[] = [
  {
    name: '1 failure 30 s ago: wait 1 min from the failure',
    given: { preset: { desiredInstances: 2 }, failures: { count: 1, lastFailureAgoMs: 30_000 } },
    then: [`backoff ${at(30_000)}`],
  },
  {
    name: '1 failure 2 min ago: the wait is over, create',
    given: { preset: { desiredInstances: 2 }, failures: { count: 1, lastFailureAgoMs: 2 * MIN } },
    then: ['create 2'],
  },
  {
    name: '3 failures 2 min ago: wait 4 min from the failure',
    given: { preset: { desiredInstances: 1 }, failures: { count: 3, lastFailureAgoMs: 2 * MIN } },
    then: [`backoff ${at(2 * MIN)}`],
  },
  {
    name: '8 failures 20 min ago: capped at 30 min',
    given: { preset: { desiredInstances: 1 }, failures: { count: 8, lastFailureAgoMs: 20 * MIN } },
    then: [`backoff ${at(10 * MIN)}`],
  },
  {
    name: 'exactly at backoff_until: create',
    given: { preset: { desiredInstances: 1 }, failures: { count: 2, lastFailureAgoMs: 2 * MIN } },
    then: ['create 1'],
  },
  {
    name: 'configurable base and cap',
    given: { preset: { desiredInstances: 1 }, failures: { count: 4, lastFailureAgoMs: MIN } },
    options: { backoffBaseMs: 10_000, backoffCapMs: 70_000 },
    then: [`backoff ${at(10_000)}`],
  },
  {
    name: 'backing off with a full pool: nothing to report',
    given: {
      preset: { desiredInstances: 1 },
      running: [running('a', HOUR)],
      failures: { count: 2, lastFailureAgoMs: 10_000 },
    },
    then: [],
  },
  {
    name: 'backing off: expired prebuilds are still deleted',
    given: {
      preset: { desiredInstances: 1, ttlSecs: 3600 },
      running: [running('stale', 2 * HOUR)],
      failures: { count: 1, lastFailureAgoMs: 10_000 },
    },
    then: ['delete stale', `backoff ${at(50_000)}`],
  },
  {
    name: 'backing off: extraneous prebuilds are still deleted (the pool shrinks on schedule)',
    given: {
      preset: { desiredInstances: 1 },
      running: [running('a', 2 * HOUR), running('b', HOUR)],
      failures: { count: 1, lastFailureAgoMs: 10_000 },
    },
    then: ['delete a'],
  },
];

describe('creation backoff', () => {
  it.each(cases)('$name', ({ given, options: overrides, then }) => {
    const actions = calculateActions(presetSnapshot(given), NOW, options(overrides), stubResolver);
    expect(summarize(actions)).toEqual(then);
  });

  it('states until when and why', () => {
    const ps = presetSnapshot({
      preset: { desiredInstances: 2 },
      running: [running('a', HOUR)],
      failures: { count: 3, lastFailureAgoMs: MIN },
    });
    const state = calculateState(ps, NOW, options(), stubResolver);
    expect(state).toMatchObject({
      backoffUntil: new Date(NOW.getTime() + 3 * MIN),
      recentFailures: 3,
      missing: 1,
      creationBlocked: `backing off until ${at(3 * MIN)} after 3 consecutive creation failures`,
    });
    expect(calculateActions(ps, NOW, options(), stubResolver)).toEqual([
      {
        type: 'backoff',
        until: new Date(NOW.getTime() + 3 * MIN),
        reason: `backoff until ${at(3 * MIN)}: 3 consecutive creation failures, waiting 4m after the last; 1 missing (desired 2, valid 1, starting 0)`,
      },
    ]);
  });

  it('reports no backoff once it is over', () => {
    const ps = presetSnapshot({ failures: { count: 1, lastFailureAgoMs: HOUR } });
    expect(calculateState(ps, NOW, options(), stubResolver).backoffUntil).toBeNull();
  });
});
