import { describe, expect, it } from 'vitest';

import { calculateActions } from '../../../src/domain/prebuilds/actions.js';
import { classify, deleteRetryAt } from '../../../src/domain/prebuilds/classify.js';
import { groupByPreset } from '../../../src/domain/prebuilds/group.js';
import { calculateState } from '../../../src/domain/prebuilds/state.js';
import {
  HOUR,
  MIN,
  NOW,
  options,
  presetRow,
  presetSnapshot,
  running,
  type SnapshotInput,
  stoppedOrFailed,
  stubResolver,
  summarize,
} from './builders.js';

interface Case {
  name: string;
  given: SnapshotInput;
  grace?: number;
  then: string[];
}

// Stopped or failed prebuilds are deleted once their last build finished more than the grace
// period ago (default 1 h); they never count as running, so the pool is refilled meanwhile.
const cases: Case[] = [
  {
    name: 'failed creation 2 h ago: deleted, and replaced',
    given: { preset: { desiredInstances: 1 }, stoppedOrFailed: [stoppedOrFailed('f', 2 * HOUR)] },
    then: ['delete f', 'create 1'],
  },
  {
    name: 'failed creation 10 min ago: kept as evidence for now, but replaced',
    given: { preset: { desiredInstances: 1 }, stoppedOrFailed: [stoppedOrFailed('f', 10 * MIN)] },
    then: ['create 1'],
  },
  {
    name: 'stopped 2 h ago: deleted',
    given: {
      preset: { desiredInstances: 1 },
      running: [running('r', HOUR)],
      stoppedOrFailed: [
        stoppedOrFailed('s', 2 * HOUR, { transition: 'stop', jobStatus: 'succeeded' }),
      ],
    },
    then: ['delete s'],
  },
  {
    name: 'failed delete 2 h ago: the delete is retried',
    given: {
      preset: { desiredInstances: 0 },
      stoppedOrFailed: [stoppedOrFailed('d', 2 * HOUR, { transition: 'delete' })],
    },
    then: ['delete d'],
  },
  {
    name: 'configurable grace: 5 min',
    given: { preset: { desiredInstances: 0 }, stoppedOrFailed: [stoppedOrFailed('f', 10 * MIN)] },
    grace: 5 * MIN,
    then: ['delete f'],
  },
  {
    name: 'grace 0: right away',
    given: { preset: { desiredInstances: 0 }, stoppedOrFailed: [stoppedOrFailed('f', 1)] },
    grace: 0,
    then: ['delete f'],
  },
  {
    name: 'cleanup goes after expired and extraneous deletes in the same action',
    given: {
      preset: { desiredInstances: 0 },
      running: [running('r', HOUR)],
      stoppedOrFailed: [stoppedOrFailed('f2', 2 * HOUR), stoppedOrFailed('f3', 3 * HOUR)],
    },
    then: ['delete r,f3,f2'],
  },
  {
    name: 'cleanup continues while hard limited',
    given: {
      preset: { desiredInstances: 1 },
      stoppedOrFailed: [stoppedOrFailed('f', 2 * HOUR)],
      streak: { considered: 3, failed: 3 },
    },
    then: ['delete f'],
  },
];

describe('stopped or failed prebuilds', () => {
  it.each(cases)('$name', ({ given, grace, then }) => {
    const opts = options(grace === undefined ? {} : { cleanupGraceMs: grace });
    expect(summarize(calculateActions(presetSnapshot(given), NOW, opts, stubResolver))).toEqual(
      then,
    );
  });

  it('explains each cleanup', () => {
    const ps = presetSnapshot({
      preset: { desiredInstances: 0 },
      stoppedOrFailed: [
        stoppedOrFailed('f', 2 * HOUR),
        stoppedOrFailed('s', 3 * HOUR, { transition: 'stop', jobStatus: 'succeeded' }),
      ],
    });
    const [action] = calculateActions(ps, NOW, options(), stubResolver);
    expect(action).toMatchObject({ type: 'delete', reason: 'delete 2: 2 stopped or failed' });
    if (action?.type !== 'delete') throw new Error('expected a delete');
    expect(action.reasons.f).toBe(
      `start build failed at ${new Date(NOW.getTime() - 2 * HOUR).toISOString()}; grace period 1h passed`,
    );
    expect(action.reasons.s).toBe(
      `stopped since ${new Date(NOW.getTime() - 3 * HOUR).toISOString()}; grace period 1h passed`,
    );
    expect(calculateState(ps, NOW, options(), stubResolver).stoppedOrFailed).toBe(2);
  });
});

describe('ownership', () => {
  it('never counts, deletes or cleans a workspace owned by anyone but the system user', () => {
    // GIVEN rows that (wrongly) carry a user's workspace, on an old version that deletes all
    const [ps] = groupByPreset({
      presets: [presetRow({ usingActiveVersion: false })],
      running: [running('mine', HOUR), running('users', HOUR, { ownerId: 'user-1' })],
      stoppedOrFailed: [stoppedOrFailed('users-failed', 2 * HOUR, { ownerId: 'user-1' })],
      inProgress: [],
      pendingInactive: [],
      backoffs: [],
      failureStreaks: [],
    });
    if (!ps) throw new Error('expected one preset');
    // THEN only the system user's prebuild is counted and deleted
    expect(calculateState(ps, NOW, options(), stubResolver).running).toBe(1);
    expect(summarize(calculateActions(ps, NOW, options(), stubResolver))).toEqual(['delete mine']);
  });

  it('a user workspace never makes the pool look full', () => {
    const [ps] = groupByPreset({
      presets: [presetRow({ desiredInstances: 1 })],
      running: [running('claimed', HOUR, { ownerId: 'user-1' })],
      stoppedOrFailed: [],
      inProgress: [],
      pendingInactive: [],
      backoffs: [],
      failureStreaks: [],
    });
    if (!ps) throw new Error('expected one preset');
    expect(summarize(calculateActions(ps, NOW, options(), stubResolver))).toEqual(['create 1']);
  });
});

describe('failed deletes: retried after a backoff, given up at the limit', () => {
  const failedDelete = (id: string, agoMs: number, failures: number) =>
    stoppedOrFailed(id, agoMs, { transition: 'delete', failedDeletes: failures });

  it('waits base x 2^(failures - 1) after the last failure, whatever the grace period', () => {
    const ps = presetSnapshot({
      preset: { desiredInstances: 0 },
      stoppedOrFailed: [failedDelete('once', 59_000, 1), failedDelete('twice', 2 * MIN, 2)],
    });
    const result = classify(ps, NOW, options({ cleanupGraceMs: 0 }));
    expect(result.cleanupDue.map((due) => due.prebuild.id)).toEqual(['twice']);
    expect(result.cleanupDue[0]?.reason).toContain('delete failed 2 times in a row');
    expect(result.failedDeletes.map((f) => [f.prebuild.id, f.retryAt])).toEqual([
      ['once', new Date(NOW.getTime() + 1_000)],
    ]);
  });

  it('never retries at the limit; a limit of 0 retries forever', () => {
    const ps = presetSnapshot({ stoppedOrFailed: [failedDelete('d', 10 * HOUR, 5)] });
    const limited = classify(ps, NOW, options({ deleteRetryLimit: 5 }));
    expect(limited.cleanupDue).toEqual([]);
    expect(limited.failedDeletes).toMatchObject([{ failures: 5, retryAt: null }]);
    expect(deleteRetryAt(NOW, 5, options({ deleteRetryLimit: 0 }))).toEqual(
      new Date(NOW.getTime() + 16 * MIN),
    );
  });
});
