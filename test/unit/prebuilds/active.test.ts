import { describe, expect, it } from 'vitest';

import { calculateActions } from '../../../src/domain/prebuilds/actions.js';
import { calculateState } from '../../../src/domain/prebuilds/state.js';
import {
  HOUR,
  MIN,
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
  then: string[];
}

// Active preset (active version, template neither deleted nor deprecated): delete expired, then
// extraneous (not ready before ready, then oldest first), then create what is missing minus what
// is starting, at most `desired`.
const cases: Case[] = [
  {
    name: 'empty pool: create desired',
    given: { preset: { desiredInstances: 3 } },
    then: ['create 3'],
  },
  {
    name: 'pool full: nothing to do',
    given: {
      preset: { desiredInstances: 2 },
      running: [running('a', 2 * HOUR), running('b', HOUR)],
    },
    then: [],
  },
  {
    name: 'short by one: create one',
    given: { preset: { desiredInstances: 2 }, running: [running('a', HOUR)] },
    then: ['create 1'],
  },
  {
    name: 'starting builds count toward the pool',
    given: { preset: { desiredInstances: 1 }, starting: 1 },
    then: [],
  },
  {
    name: 'stopping builds do not count toward the pool',
    given: { preset: { desiredInstances: 1 }, stopping: 1 },
    then: ['create 1'],
  },
  {
    name: 'deleting builds do not count toward the pool',
    given: { preset: { desiredInstances: 2 }, running: [running('a', HOUR)], deleting: 3 },
    then: ['create 1'],
  },
  {
    name: 'full pool plus a start in flight: no delete yet (eventually consistent)',
    given: {
      preset: { desiredInstances: 2 },
      running: [running('a', 2 * HOUR), running('b', HOUR)],
      starting: 1,
    },
    then: [],
  },
  {
    name: 'more starting than desired: never a negative create',
    given: { preset: { desiredInstances: 1 }, starting: 4 },
    then: [],
  },
  {
    name: 'extraneous ready prebuilds: oldest first',
    given: {
      preset: { desiredInstances: 1 },
      running: [running('new', MIN), running('old', 3 * HOUR), running('mid', HOUR)],
    },
    then: ['delete old,mid'],
  },
  {
    name: 'extraneous: not ready goes before ready, even when younger',
    given: {
      preset: { desiredInstances: 2 },
      running: [
        running('old-ready', 3 * HOUR),
        running('young-not-ready', MIN, { ready: false }),
        running('mid-ready', HOUR),
      ],
    },
    then: ['delete young-not-ready'],
  },
  {
    name: 'extraneous: several not ready, oldest of them first',
    given: {
      preset: { desiredInstances: 1 },
      running: [
        running('ready', 5 * HOUR),
        running('nr-young', MIN, { ready: false }),
        running('nr-old', 2 * HOUR, { ready: false }),
      ],
    },
    then: ['delete nr-old,nr-young'],
  },
  {
    name: 'desired 0 on an active preset: delete all valid prebuilds',
    given: { preset: { desiredInstances: 0 }, running: [running('a', HOUR), running('b', MIN)] },
    then: ['delete a,b'],
  },
  {
    name: 'expired by TTL: deleted and replaced',
    given: {
      preset: { desiredInstances: 2, ttlSecs: 3600 },
      running: [running('stale', 2 * HOUR), running('fresh', 10 * MIN)],
    },
    then: ['delete stale', 'create 1'],
  },
  {
    name: 'invalidated: everything created before the invalidation is replaced',
    given: {
      preset: { desiredInstances: 2, lastInvalidatedAt: new Date(NOW.getTime() - 30 * MIN) },
      running: [running('before', HOUR), running('after', 10 * MIN)],
    },
    then: ['delete before', 'create 1'],
  },
  {
    name: 'expired first, then extraneous among the valid ones',
    given: {
      preset: { desiredInstances: 1, ttlSecs: 3600 },
      running: [running('stale', 2 * HOUR), running('v1', 30 * MIN), running('v2', 10 * MIN)],
    },
    then: ['delete stale,v1'],
  },
];

describe('active preset', () => {
  it.each(cases)('$name', ({ given, then }) => {
    // GIVEN the preset snapshot, WHEN the decision runs at NOW, THEN these actions, in order.
    const actions = calculateActions(presetSnapshot(given), NOW, options(), stubResolver);
    expect(summarize(actions)).toEqual(then);
  });

  it('gives a reason for every action and every deleted workspace', () => {
    const ps = presetSnapshot({
      preset: { desiredInstances: 1, ttlSecs: 3600 },
      running: [
        running('stale', 2 * HOUR),
        running('v1', 30 * MIN, { ready: false }),
        running('v2', MIN),
      ],
    });
    const [del, ...rest] = calculateActions(ps, NOW, options(), stubResolver);
    expect(rest).toEqual([]);
    expect(del).toMatchObject({
      type: 'delete',
      workspaceIds: ['stale', 'v1'],
      reason: 'delete 2: 1 expired, 1 extraneous',
    });
    if (del?.type !== 'delete') throw new Error('expected a delete');
    expect(del.reasons.stale).toMatch(/^expired: created .*older than the TTL of 1h$/);
    expect(del.reasons.v1).toMatch(/^extraneous: 2 valid > 1 desired; not ready, created /);
  });

  it('explains a create with the numbers behind it', () => {
    const ps = presetSnapshot({
      preset: { desiredInstances: 3 },
      running: [running('a', MIN)],
      starting: 1,
    });
    expect(calculateActions(ps, NOW, options(), stubResolver)).toEqual([
      { type: 'create', count: 1, reason: 'create 1: desired 3, valid 1, starting 1' },
    ]);
  });

  it('reports the state numbers the gauges use', () => {
    const ps = presetSnapshot({
      preset: { desiredInstances: 2, ttlSecs: 3600 },
      running: [
        running('stale', 2 * HOUR),
        running('r', MIN),
        running('nr', MIN, { ready: false }),
      ],
      starting: 1,
      stopping: 2,
      deleting: 3,
    });
    expect(calculateState(ps, NOW, options(), stubResolver)).toMatchObject({
      active: true,
      desired: 2,
      running: 3,
      valid: 2,
      eligible: 1,
      expired: 1,
      extraneous: 0,
      starting: 1,
      stopping: 2,
      deleting: 3,
      missing: 0,
      status: 'healthy',
      backoffUntil: null,
      creationBlocked: null,
    });
  });
});
