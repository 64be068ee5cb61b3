import { describe, expect, it } from 'vitest';

import {
  type LifecycleState,
  type LifecycleTransition,
  nextTransition,
  SYSTEM_USER_ID,
} from '../../../src/domain/lifecycle/index.js';
import { DAY, HOUR, makeState, MIN, plus, type StateOverrides, t } from './state.js';

function decide(state: LifecycleState, now: Date): LifecycleTransition | null {
  return nextTransition(
    state.workspace,
    state.latestBuild,
    state.job,
    state.template,
    state.owner,
    now,
  );
}

type Expected = [operation: string, reason: string, dueAt: string] | null;

function check(state: LifecycleState, now: Date, expected: Expected) {
  const result = decide(state, now);
  expect(result && [result.operation, result.reason, result.dueAt.toISOString()]).toEqual(expected);
}

describe('autostop', () => {
  const built = t('2025-06-04T10:00:00Z');
  const deadline = t('2025-06-04T18:00:00Z');
  const running = (o: StateOverrides = {}) =>
    makeState(built, { ...o, build: { deadline, ...o.build } });
  const stop = (due: Date | string): Expected => ['stop', 'autostop', new Date(due).toISOString()];

  it.each<[string, LifecycleState, Date, Expected]>([
    ['at the deadline', running(), deadline, stop(deadline)],
    ['not a minute early', running(), plus(deadline, -MIN), null],
    ['not a millisecond early', running(), plus(deadline, -1), null],
    [
      'long after the deadline (missed while down)',
      running(),
      plus(deadline, 3 * DAY),
      stop(deadline),
    ],
    ['never without deadline and max_deadline', makeState(built), plus(built, 365 * DAY), null],
    [
      'at max_deadline when there is no deadline',
      makeState(built, { build: { maxDeadline: t('2025-06-05T00:00:00Z') } }),
      t('2025-06-05T00:00:00Z'),
      stop('2025-06-05T00:00:00Z'),
    ],
    [
      'at a deadline clamped to max_deadline',
      running({ build: { deadline, maxDeadline: deadline } }),
      deadline,
      stop(deadline),
    ],
    [
      'suspended owner: at once, without deadline',
      makeState(built, { owner: { status: 'suspended' } }),
      t('2025-06-04T11:00:00Z'),
      stop('2025-06-04T11:00:00Z'),
    ],
    [
      'suspended owner: before the deadline',
      running({ owner: { status: 'suspended' } }),
      t('2025-06-04T11:00:00Z'),
      stop('2025-06-04T11:00:00Z'),
    ],
    [
      'suspended owner after the deadline: due since the deadline',
      running({ owner: { status: 'suspended' } }),
      t('2025-06-05T11:00:00Z'),
      stop(deadline),
    ],
    ['not for a failed start', running({ job: { status: 'failed' } }), plus(deadline, HOUR), null],
    [
      'not for a dormant workspace',
      running({ workspace: { dormantAt: t('2025-06-04T12:00:00Z') } }),
      plus(deadline, HOUR),
      null,
    ],
    [
      'not for a stopped workspace',
      running({ build: { transition: 'stop' } }),
      plus(deadline, HOUR),
      null,
    ],
    [
      'not while the build job runs',
      running({ job: { status: 'running', completedAt: null } }),
      plus(deadline, HOUR),
      null,
    ],
    [
      'not while it is pending',
      running({ job: { status: 'pending', completedAt: null } }),
      plus(deadline, HOUR),
      null,
    ],
    [
      'never a prebuild (system user)',
      running({ workspace: { ownerId: SYSTEM_USER_ID }, owner: { id: SYSTEM_USER_ID } }),
      plus(deadline, HOUR),
      null,
    ],
    [
      'never a deleted workspace',
      running({ workspace: { deleted: true } }),
      plus(deadline, HOUR),
      null,
    ],
    [
      'never without a build',
      makeState(built, { build: null, job: null }),
      plus(deadline, HOUR),
      null,
    ],
  ])('%s', (_name, state, now, expected) => check(state, now, expected));
});

describe('autostart', () => {
  // Stopped by hand on Friday 2025-06-06 at 18:00 UTC.
  const stoppedAt = t('2025-06-06T18:00:00Z');
  const weekdays = '0 9 * * 1-5';
  const stopped = (o: StateOverrides = {}) =>
    makeState(stoppedAt, {
      ...o,
      workspace: { autostartSchedule: weekdays, ...o.workspace },
      build: { transition: 'stop', ...o.build },
    });
  const start = (due: string): Expected => ['start', 'autostart', new Date(due).toISOString()];
  const monday9 = '2025-06-09T09:00:00Z';

  it.each<[string, LifecycleState, Date, Expected]>([
    ['on time', stopped(), t(monday9), start(monday9)],
    ['not a minute early', stopped(), t('2025-06-09T08:59:00Z'), null],
    ['not on the weekend (schedule says weekdays)', stopped(), t('2025-06-07T09:00:00Z'), null],
    ['catch-up after downtime: fires late', stopped(), t('2025-06-09T15:00:00Z'), start(monday9)],
    [
      'across spring-forward in the schedule zone (09:00 EDT = 13:00Z)',
      makeState(t('2025-03-07T20:00:00Z'), {
        workspace: { autostartSchedule: 'CRON_TZ=America/New_York 0 9 * * 1-5' },
        build: { transition: 'stop' },
      }),
      t('2025-03-10T13:00:00Z'),
      start('2025-03-10T13:00:00Z'),
    ],
    [
      'across spring-forward: not at the old UTC time minus an hour',
      makeState(t('2025-03-07T20:00:00Z'), {
        workspace: { autostartSchedule: 'CRON_TZ=America/New_York 0 9 * * 1-5' },
        build: { transition: 'stop' },
      }),
      t('2025-03-10T12:59:00Z'),
      null,
    ],
    [
      'not on a day the template blocks',
      stopped({
        workspace: { autostartSchedule: '0 9 * * *' },
        template: { autostartBlockDaysOfWeek: 0b1100000 },
      }),
      t('2025-06-07T09:00:00Z'),
      null,
    ],
    [
      'after blocked days, the next allowed day',
      stopped({
        workspace: { autostartSchedule: '0 9 * * *' },
        template: { autostartBlockDaysOfWeek: 0b1100000 },
      }),
      t(monday9),
      start(monday9),
    ],
    ['not for a suspended owner', stopped({ owner: { status: 'suspended' } }), t(monday9), null],
    ['not for a dormant owner', stopped({ owner: { status: 'dormant' } }), t(monday9), null],
    [
      'not for a dormant workspace',
      stopped({ workspace: { dormantAt: t('2025-06-07T00:00:00Z') } }),
      t(monday9),
      null,
    ],
    [
      'not when the template disallows autostart',
      stopped({ template: { allowUserAutostart: false } }),
      t(monday9),
      null,
    ],
    ['not after a failed stop', stopped({ job: { status: 'failed' } }), t(monday9), null],
    ['not for a running workspace', stopped({ build: { transition: 'start' } }), t(monday9), null],
    [
      'not without a schedule',
      stopped({ workspace: { autostartSchedule: null } }),
      t(monday9),
      null,
    ],
    [
      'not with a broken stored schedule',
      stopped({ workspace: { autostartSchedule: '0 9 1 * *' } }),
      t(monday9),
      null,
    ],
    [
      'a schedule edited after the stop waits for next_start_at',
      stopped({ workspace: { nextStartAt: t('2025-06-10T09:00:00Z') } }),
      t(monday9),
      null,
    ],
    [
      'and fires at next_start_at',
      stopped({ workspace: { nextStartAt: t('2025-06-10T09:00:00Z') } }),
      t('2025-06-10T09:00:00Z'),
      start('2025-06-10T09:00:00Z'),
    ],
    [
      'an older next_start_at does not fire before the build anchor',
      stopped({ workspace: { nextStartAt: t('2025-06-06T09:00:00Z') } }),
      t('2025-06-08T09:00:00Z'),
      null,
    ],
    [
      'never a prebuild',
      stopped({ workspace: { ownerId: SYSTEM_USER_ID }, owner: { id: SYSTEM_USER_ID } }),
      t(monday9),
      null,
    ],
  ])('%s', (_name, state, now, expected) => check(state, now, expected));

  it('catch-up fires exactly once: the start build becomes the latest build', () => {
    const now = t('2025-06-09T15:00:00Z');
    expect(decide(stopped(), now)?.operation).toBe('start');
    // The executor created the start build at `now`; the next ticks see a running workspace.
    const started = makeState(now, {
      workspace: { autostartSchedule: weekdays },
      build: { transition: 'start' },
    });
    for (const later of [plus(now, MIN), plus(now, HOUR), t('2025-06-09T23:59:00Z')]) {
      expect(decide(started, later)).toBeNull();
    }
  });
});

describe('failed-build cleanup', () => {
  const failedAt = t('2025-06-04T10:00:00Z');
  const failed = (o: StateOverrides = {}) =>
    makeState(failedAt, {
      ...o,
      job: { status: 'failed', ...o.job },
      template: { failureTtlMs: HOUR, ...o.template },
    });
  const cleanup: Expected = ['stop', 'failedstop', '2025-06-04T11:00:00.000Z'];

  it.each<[string, LifecycleState, Date, Expected]>([
    ['failed start, failure_ttl passed', failed(), t('2025-06-04T11:01:00Z'), cleanup],
    ['not at exactly failure_ttl', failed(), t('2025-06-04T11:00:00Z'), null],
    [
      'failed stop is retried too',
      failed({ build: { transition: 'stop' } }),
      t('2025-06-04T11:01:00Z'),
      cleanup,
    ],
    [
      'not a failed delete',
      failed({ build: { transition: 'delete' } }),
      t('2025-06-04T11:01:00Z'),
      null,
    ],
    [
      'off when failure_ttl is 0',
      failed({ template: { failureTtlMs: 0 } }),
      t('2025-06-05T10:00:00Z'),
      null,
    ],
    [
      'each failed retry waits a full failure_ttl again',
      failed({ job: { completedAt: t('2025-06-04T11:30:00Z') } }),
      t('2025-06-04T12:00:00Z'),
      null,
    ],
  ])('%s', (_name, state, now, expected) => check(state, now, expected));
});

describe('dormancy', () => {
  const lastUsed = t('2025-06-01T10:00:00Z');
  const idle = (o: StateOverrides = {}) =>
    makeState(lastUsed, { ...o, template: { timeTilDormantMs: 7 * DAY, ...o.template } });
  const due = '2025-06-08T10:00:00.000Z';

  it.each<[string, LifecycleState, Date, Expected]>([
    [
      'a running workspace is stopped',
      idle(),
      t('2025-06-08T10:01:00Z'),
      ['stop', 'dormancy', due],
    ],
    [
      'a stopped one is only marked',
      idle({ build: { transition: 'stop' } }),
      t('2025-06-08T10:01:00Z'),
      ['dormant', 'dormancy', due],
    ],
    ['not at exactly time_til_dormant', idle(), t('2025-06-08T10:00:00Z'), null],
    [
      'not when already dormant',
      idle({ workspace: { dormantAt: t('2025-06-08T11:00:00Z') } }),
      t('2025-06-09T10:00:00Z'),
      null,
    ],
    [
      'off when time_til_dormant is 0',
      idle({ template: { timeTilDormantMs: 0 } }),
      t('2026-06-08T10:00:00Z'),
      null,
    ],
    [
      'autostop goes first when both are due',
      idle({ build: { deadline: t('2025-06-01T18:00:00Z') } }),
      t('2025-06-08T10:01:00Z'),
      ['stop', 'autostop', '2025-06-01T18:00:00.000Z'],
    ],
  ])('%s', (_name, state, now, expected) => check(state, now, expected));
});

describe('dormant auto-delete', () => {
  const dormantAt = t('2025-06-01T00:00:00Z');
  const deletingAt = t('2025-06-08T00:00:00Z');
  const dormant = (o: StateOverrides = {}) =>
    makeState(t('2025-05-01T00:00:00Z'), {
      ...o,
      workspace: { dormantAt, deletingAt, ...o.workspace },
      build: { transition: 'stop', ...o.build },
      template: { timeTilDormantMs: 30 * DAY, timeTilDormantAutodeleteMs: 7 * DAY, ...o.template },
    });
  const del = (due: string): Expected => ['delete', 'autodelete', new Date(due).toISOString()];

  it.each<[string, LifecycleState, Date, Expected]>([
    ['after deleting_at', dormant(), t('2025-06-08T00:01:00Z'), del('2025-06-08T00:00:00Z')],
    ['not at deleting_at', dormant(), deletingAt, null],
    [
      'off when the template autodelete is 0',
      dormant({ template: { timeTilDormantAutodeleteMs: 0 } }),
      t('2025-07-01T00:00:00Z'),
      null,
    ],
    [
      'not without deleting_at',
      dormant({ workspace: { deletingAt: null } }),
      t('2025-07-01T00:00:00Z'),
      null,
    ],
    [
      'a failed delete waits 24 h',
      dormant({
        build: { transition: 'delete' },
        job: { status: 'failed', completedAt: t('2025-06-08T00:05:00Z') },
      }),
      t('2025-06-09T00:05:00Z'),
      null,
    ],
    [
      'a failed delete is retried after 24 h',
      dormant({
        build: { transition: 'delete' },
        job: { status: 'failed', completedAt: t('2025-06-08T00:05:00Z') },
      }),
      t('2025-06-09T00:06:00Z'),
      del('2025-06-09T00:05:00Z'),
    ],
    [
      'a canceled failed delete counts from its cancellation',
      dormant({
        build: { transition: 'delete' },
        job: {
          status: 'failed',
          completedAt: t('2025-06-08T00:05:00Z'),
          canceledAt: t('2025-06-08T00:02:00Z'),
        },
      }),
      t('2025-06-09T00:03:00Z'),
      del('2025-06-09T00:02:00Z'),
    ],
    [
      'a delete in progress is left alone',
      dormant({ build: { transition: 'delete' }, job: { status: 'running', completedAt: null } }),
      t('2025-06-10T00:00:00Z'),
      null,
    ],
  ])('%s', (_name, state, now, expected) => check(state, now, expected));
});
