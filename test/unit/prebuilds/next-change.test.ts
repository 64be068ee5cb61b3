import { describe, expect, it } from 'vitest';

import { nextChangeAt } from '../../../src/domain/prebuilds/next-change.js';
import { calculateState } from '../../../src/domain/prebuilds/state.js';
import type { PresetPlan } from '../../../src/domain/prebuilds/plan.js';
import { resolveDesired } from '../../../src/domain/schedule/evaluate.js';
import {
  HOUR,
  MIN,
  NOW,
  options,
  presetSnapshot,
  running,
  type SnapshotInput,
} from './builders.js';

const at = (ms: number) => new Date(NOW.getTime() + ms);

function next(input: SnapshotInput, graceEndsAt: Date | null = null) {
  const ps = presetSnapshot(input);
  const state = calculateState(ps, NOW, options(), resolveDesired);
  const plan: PresetPlan = { preset: ps.preset, state, actions: [] };
  return nextChangeAt({ running: ps.running, graceEndsAt }, [plan], NOW);
}

describe('nextChangeAt: when the decisions change without a write', () => {
  it('is null when nothing is pending', () => {
    expect(next({ running: [running('a', HOUR)] })).toBeNull();
  });

  it('is the end of a backoff, to the millisecond', () => {
    // 2 failures: wait 2 x 1 min after the last, 30 s ago: ends in 90 s.
    expect(next({ failures: { count: 2, lastFailureAgoMs: 30_000 } })).toEqual(at(90_000));
  });

  it('is the first TTL expiry of a valid prebuild (one millisecond past the TTL)', () => {
    const input = {
      preset: { ttlSecs: 600 },
      running: [running('old', 9 * MIN), running('new', MIN)],
    };
    expect(next(input)).toEqual(at(MIN + 1));
  });

  it('is the next schedule change', () => {
    // 12:00 UTC now; 13:00-13:59 on every day asks for 5 instead of 3.
    const input = { preset: { schedules: [{ cron: '* 13 * * *', instances: 5 }] } };
    expect(next(input)).toEqual(at(HOUR));
  });

  it('is the end of a cleanup grace period when that comes first', () => {
    const input = { failures: { count: 5, lastFailureAgoMs: 0 } };
    expect(next(input, at(5_000))).toEqual(at(5_000));
  });

  it('ignores an inactive preset and instants that are not after now', () => {
    const input = {
      preset: { usingActiveVersion: false, ttlSecs: 60 },
      running: [running('a', 30_000)],
      failures: { count: 1, lastFailureAgoMs: 0 },
    };
    expect(next(input, NOW)).toBeNull();
  });
});
