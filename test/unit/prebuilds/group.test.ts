import { expect, it } from 'vitest';

import { groupByPreset } from '../../../src/domain/prebuilds/group.js';
import { planAll } from '../../../src/domain/prebuilds/plan.js';
import type { GlobalSnapshot } from '../../../src/domain/prebuilds/types.js';
import {
  HOUR,
  MIN,
  NOW,
  options,
  presetRow,
  running,
  stoppedOrFailed,
  stubResolver,
} from './builders.js';

const snapshot: GlobalSnapshot = {
  presets: [
    presetRow({ id: 'a', desiredInstances: 1 }),
    presetRow({ id: 'b', desiredInstances: 2 }),
  ],
  running: [
    running('a1', HOUR, { presetId: 'a' }),
    running('b1', HOUR, { presetId: 'b' }),
    running('b2', MIN, { presetId: 'b', ready: false }),
    running('orphan', HOUR, { presetId: null }),
    running('unknown', HOUR, { presetId: 'zzz' }),
  ],
  stoppedOrFailed: [stoppedOrFailed('bf', 2 * HOUR, { presetId: 'b' })],
  inProgress: [
    { presetId: 'a', transition: 'start', count: 1 },
    { presetId: 'b', transition: 'delete', count: 2 },
    { presetId: 'b', transition: 'stop', count: 1 },
    { presetId: 'zzz', transition: 'start', count: 9 },
  ],
  pendingInactive: [{ presetId: 'b', count: 4 }],
  backoffs: [{ presetId: 'a', failedCount: 2, lastFailureAt: NOW }],
  failureStreaks: [{ presetId: 'b', considered: 3, failed: 1, lastFailureAt: NOW }],
};

it('gives each preset its own rows; rows of unknown or missing presets are left alone', () => {
  const [a, b] = groupByPreset(snapshot);
  expect(a?.running.map((r) => r.id)).toEqual(['a1']);
  expect(a?.inProgress).toEqual({ start: 1, stop: 0, delete: 0 });
  expect(a?.backoff?.failedCount).toBe(2);
  expect(a?.failureStreak).toBeNull();
  expect(b?.running.map((r) => r.id)).toEqual(['b1', 'b2']);
  expect(b?.stoppedOrFailed.map((r) => r.id)).toEqual(['bf']);
  expect(b?.inProgress).toEqual({ start: 0, stop: 1, delete: 2 });
  expect(b?.pendingInactive).toBe(4);
  expect(b?.backoff).toBeNull();
  expect(b?.failureStreak?.failed).toBe(1);
});

it('plans every preset in snapshot order with its state', () => {
  const plans = planAll(snapshot, NOW, options(), stubResolver);
  expect(
    plans.map((p) => [
      p.preset.id,
      p.state.running,
      p.state.eligible,
      p.actions.map((x) => x.type),
    ]),
  ).toEqual([
    ['a', 1, 1, []],
    ['b', 2, 1, ['delete']],
  ]);
});
