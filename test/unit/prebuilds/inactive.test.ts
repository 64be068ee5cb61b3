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
  stoppedOrFailed,
  stubResolver,
  summarize,
} from './builders.js';

interface Case {
  name: string;
  given: SnapshotInput;
  then: string[];
}

const oldVersion = { usingActiveVersion: false, templateVersionName: 'v1' };

// An inactive preset gets desired 0: its pending creation jobs are canceled and every prebuild
// is deleted, expired ones included (Coder leaves the expired ones of old versions behind).
const cases: Case[] = [
  {
    name: 'old version with nothing left: no action',
    given: { preset: oldVersion },
    then: [],
  },
  {
    name: 'old version: delete every running prebuild, oldest first',
    given: { preset: oldVersion, running: [running('b', MIN), running('a', HOUR)] },
    then: ['delete a,b'],
  },
  {
    name: 'old version: expired prebuilds are deleted too',
    given: {
      preset: { ...oldVersion, ttlSecs: 3600 },
      running: [running('expired', 3 * HOUR), running('valid', MIN)],
    },
    then: ['delete expired,valid'],
  },
  {
    name: 'old version: invalidated prebuilds are deleted too',
    given: {
      preset: { ...oldVersion, lastInvalidatedAt: new Date(NOW.getTime() - MIN) },
      running: [running('invalidated', HOUR)],
    },
    then: ['delete invalidated'],
  },
  {
    name: 'old version: cancel pending creation jobs first, then delete',
    given: { preset: oldVersion, pendingInactive: 2, running: [running('a', HOUR)] },
    then: ['cancel_pending 2', 'delete a'],
  },
  {
    name: 'old version: only pending jobs',
    given: { preset: oldVersion, pendingInactive: 1 },
    then: ['cancel_pending 1'],
  },
  {
    name: 'old version: stopped or failed prebuilds past the grace period go too',
    given: {
      preset: oldVersion,
      running: [running('run', HOUR)],
      stoppedOrFailed: [stoppedOrFailed('failed', 2 * HOUR)],
    },
    then: ['delete run,failed'],
  },
  {
    name: 'old version: backoff never holds back deletes',
    given: {
      preset: oldVersion,
      running: [running('a', HOUR)],
      failures: { count: 5, lastFailureAgoMs: MIN },
    },
    then: ['delete a'],
  },
  {
    name: 'deleted template: delete everything, even on the active version',
    given: { preset: { templateDeleted: true }, running: [running('a', HOUR)], pendingInactive: 1 },
    then: ['cancel_pending 1', 'delete a'],
  },
  {
    name: 'deprecated template: delete everything',
    given: { preset: { templateDeprecated: true }, running: [running('a', HOUR)] },
    then: ['delete a'],
  },
  {
    name: 'preset without prebuilds (desired_instances NULL): delete what is left',
    given: { preset: { desiredInstances: null }, running: [running('a', HOUR)] },
    then: ['delete a'],
  },
  {
    name: 'starting builds of an old version do not matter: nothing is created',
    given: { preset: oldVersion, starting: 2 },
    then: [],
  },
];

describe('inactive preset', () => {
  it.each(cases)('$name', ({ given, then }) => {
    const actions = calculateActions(presetSnapshot(given), NOW, options(), stubResolver);
    expect(summarize(actions)).toEqual(then);
  });

  it('reports desired 0, no schedule, nothing eligible, and why', () => {
    const ps = presetSnapshot({
      preset: { ...oldVersion, schedules: [{ cron: 'match', instances: 5 }] },
      running: [running('a', HOUR)],
      pendingInactive: 3,
    });
    expect(calculateState(ps, NOW, options(), stubResolver)).toMatchObject({
      active: false,
      inactiveReason: 'version v1 is no longer the active version',
      desired: 0,
      schedule: null,
      running: 1,
      eligible: 0,
      missing: 0,
      pendingInactive: 3,
    });
  });

  it('names the reason on each action', () => {
    const ps = presetSnapshot({
      preset: { templateDeleted: true },
      running: [running('a', HOUR)],
      pendingInactive: 1,
    });
    expect(calculateActions(ps, NOW, options(), stubResolver)).toEqual([
      {
        type: 'cancel_pending',
        count: 1,
        reason: 'cancel 1 pending creation job: template dev-env is deleted',
      },
      {
        type: 'delete',
        workspaceIds: ['a'],
        reasons: { a: 'template dev-env is deleted' },
        reason: 'delete 1: 1 running: template dev-env is deleted',
      },
    ]);
  });

  it('does not mention running prebuilds when only failed ones are left', () => {
    const ps = presetSnapshot({
      preset: oldVersion,
      stoppedOrFailed: [stoppedOrFailed('f', 2 * HOUR)],
    });
    expect(calculateActions(ps, NOW, options(), stubResolver)).toMatchObject([
      { type: 'delete', workspaceIds: ['f'], reason: 'delete 1: 1 stopped or failed' },
    ]);
  });
});
