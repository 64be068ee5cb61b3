import { describe, expect, it } from 'vitest';

import { calculateActions } from '../../../src/domain/prebuilds/actions.js';
import { calculateState } from '../../../src/domain/prebuilds/state.js';
import {
  HOUR,
  NOW,
  options,
  presetSnapshot,
  running,
  type SnapshotInput,
  stubResolver,
  summarize,
} from './builders.js';

interface Case {
  name: string;
  given: SnapshotInput;
  limit?: number;
  then: { actions: string[]; status: string; storedStatus?: string; hardLimited: boolean };
}

// Hard limit: when the newest N (default 3) creation builds all failed, creation stops and the
// status becomes hard_limited; deletes go on. 0 disables it. A reset (failure_limit_reset_at)
// or a new version empties the streak, and the status returns to healthy.
const cases: Case[] = [
  {
    name: 'last 3 of 3 failed: hard limited, nothing created',
    given: { preset: { desiredInstances: 2 }, streak: { considered: 3, failed: 3 } },
    then: { actions: [], status: 'hard_limited', hardLimited: true },
  },
  {
    name: '2 of the last 3 failed: not limited',
    given: { preset: { desiredInstances: 2 }, streak: { considered: 3, failed: 2 } },
    then: { actions: ['create 2'], status: 'healthy', hardLimited: false },
  },
  {
    name: 'only 2 creation builds so far, both failed: not limited yet',
    given: { preset: { desiredInstances: 2 }, streak: { considered: 2, failed: 2 } },
    then: { actions: ['create 2'], status: 'healthy', hardLimited: false },
  },
  {
    name: 'limit 1: one failure is enough',
    given: { preset: { desiredInstances: 1 }, streak: { considered: 1, failed: 1 } },
    limit: 1,
    then: { actions: [], status: 'hard_limited', hardLimited: true },
  },
  {
    name: 'limit 0 disables the hard limit',
    given: { preset: { desiredInstances: 1 }, streak: { considered: 3, failed: 3 } },
    limit: 0,
    then: { actions: ['create 1'], status: 'healthy', hardLimited: false },
  },
  {
    name: 'hard limited: expired and extraneous prebuilds are still deleted',
    given: {
      preset: { desiredInstances: 1, ttlSecs: 3600 },
      running: [running('stale', 2 * HOUR), running('a', 0.5 * HOUR), running('b', 0.2 * HOUR)],
      streak: { considered: 3, failed: 3 },
    },
    then: { actions: ['delete stale,a'], status: 'hard_limited', hardLimited: true },
  },
  {
    name: 'stored hard_limited but the streak is gone (reset): healthy again, creates',
    given: { preset: { desiredInstances: 1, prebuildStatus: 'hard_limited' } },
    then: {
      actions: ['create 1'],
      status: 'healthy',
      storedStatus: 'hard_limited',
      hardLimited: false,
    },
  },
  {
    name: 'validation_failed: nothing created until a new version',
    given: { preset: { desiredInstances: 2, prebuildStatus: 'validation_failed' } },
    then: { actions: [], status: 'validation_failed', hardLimited: false },
  },
  {
    name: 'old version stays as stored: no status transition for presets that no longer create',
    given: {
      preset: { usingActiveVersion: false, prebuildStatus: 'hard_limited' },
      running: [running('a', HOUR)],
    },
    then: { actions: ['delete a'], status: 'hard_limited', hardLimited: false },
  },
];

describe('hard limit and validation failures', () => {
  it.each(cases)('$name', ({ given, limit, then }) => {
    const opts = options(limit === undefined ? {} : { failureHardLimit: limit });
    const ps = presetSnapshot(given);
    const state = calculateState(ps, NOW, opts, stubResolver);
    expect(summarize(calculateActions(ps, NOW, opts, stubResolver))).toEqual(then.actions);
    expect(state.status).toBe(then.status);
    expect(state.hardLimited).toBe(then.hardLimited);
    expect(state.storedStatus).toBe(then.storedStatus ?? given.preset?.prebuildStatus ?? 'healthy');
  });

  it('says why creation is blocked, and flags the status transition for the executor', () => {
    const state = calculateState(
      presetSnapshot({ preset: { desiredInstances: 2 }, streak: { considered: 3, failed: 3 } }),
      NOW,
      options(),
      stubResolver,
    );
    expect(state.storedStatus).toBe('healthy');
    expect(state.status).toBe('hard_limited');
    expect(state.missing).toBe(2);
    expect(state.creationBlocked).toMatch(
      /^hard limit: the last 3 creation builds failed, the last at .*; reset the preset or push a new version$/,
    );
  });

  it('hard limit wins over backoff: no backoff action either', () => {
    const ps = presetSnapshot({
      preset: { desiredInstances: 1 },
      streak: { considered: 3, failed: 3 },
      failures: { count: 3, lastFailureAgoMs: 1000 },
    });
    expect(calculateActions(ps, NOW, options(), stubResolver)).toEqual([]);
  });
});
