import { describe, expect, it } from 'vitest';

import {
  decideLifecycle,
  type LifecycleState,
  shouldRemindAutostop,
  SYSTEM_USER_ID,
} from '../../../src/domain/lifecycle/index.js';
import { HOUR, makeState, MIN, plus, type StateOverrides, t } from './state.js';

const built = t('2025-06-04T10:00:00Z');
const deadline = t('2025-06-04T18:00:00Z');
const running = (o: StateOverrides = {}) =>
  makeState(built, {
    ...o,
    build: { deadline, ...o.build },
    template: { timeTilAutostopNotifyMs: 30 * MIN, ...o.template },
  });

describe('shouldRemindAutostop', () => {
  it.each<[string, LifecycleState, string, boolean]>([
    ['before the window', running(), '2025-06-04T17:29:00Z', false],
    ['at the far edge of the window (inclusive)', running(), '2025-06-04T17:30:00Z', true],
    ['inside the window', running(), '2025-06-04T17:45:00Z', true],
    ['a minute before the stop', running(), '2025-06-04T17:59:00Z', true],
    ['not once the stop is due', running(), '2025-06-04T18:00:00Z', false],
    [
      'once per deadline: already sent',
      running({ build: { notifiedAutostopDeadline: deadline } }),
      '2025-06-04T17:45:00Z',
      false,
    ],
    [
      're-armed by a new deadline (extend)',
      running({
        build: { deadline: t('2025-06-04T19:00:00Z'), notifiedAutostopDeadline: deadline },
      }),
      '2025-06-04T18:30:00Z',
      true,
    ],
    [
      'skipped for a user active within 15 min when bumps are on',
      running({ workspace: { lastUsedAt: t('2025-06-04T17:31:00Z') } }),
      '2025-06-04T17:45:00Z',
      false,
    ],
    [
      'sent once the last activity is exactly 15 min old',
      running({ workspace: { lastUsedAt: t('2025-06-04T17:30:00Z') } }),
      '2025-06-04T17:45:00Z',
      true,
    ],
    [
      'sent to an active user when bumps are off',
      running({
        workspace: { lastUsedAt: t('2025-06-04T17:40:00Z') },
        template: { activityBumpMs: 0 },
      }),
      '2025-06-04T17:45:00Z',
      true,
    ],
    [
      'sent to an active user when max_deadline traps the deadline',
      running({
        workspace: { lastUsedAt: t('2025-06-04T17:40:00Z') },
        build: { maxDeadline: deadline },
      }),
      '2025-06-04T17:45:00Z',
      true,
    ],
    [
      'skipped for an active user when max_deadline is beyond the window',
      running({
        workspace: { lastUsedAt: t('2025-06-04T17:40:00Z') },
        build: { maxDeadline: t('2025-06-04T18:16:00Z') },
      }),
      '2025-06-04T17:45:00Z',
      false,
    ],
    [
      'a build stopping at max_deadline only is reminded too',
      running({ build: { deadline: null, maxDeadline: deadline } }),
      '2025-06-04T17:45:00Z',
      true,
    ],
    [
      'off when the template does not opt in',
      running({ template: { timeTilAutostopNotifyMs: 0 } }),
      '2025-06-04T17:45:00Z',
      false,
    ],
    [
      'not without a deadline',
      running({ build: { deadline: null } }),
      '2025-06-04T17:45:00Z',
      false,
    ],
    [
      'not for a dormant workspace',
      running({ workspace: { dormantAt: built } }),
      '2025-06-04T17:45:00Z',
      false,
    ],
    [
      'not for a stopped workspace',
      running({ build: { transition: 'stop' } }),
      '2025-06-04T17:45:00Z',
      false,
    ],
    [
      'not for a failed build',
      running({ job: { status: 'failed' } }),
      '2025-06-04T17:45:00Z',
      false,
    ],
    [
      'never a prebuild',
      running({ workspace: { ownerId: SYSTEM_USER_ID }, owner: { id: SYSTEM_USER_ID } }),
      '2025-06-04T17:45:00Z',
      false,
    ],
  ])('%s', (_name, state, now, expected) => {
    expect(shouldRemindAutostop(state, t(now))).toBe(expected);
  });

  it('honours a custom active window', () => {
    const state = running({ workspace: { lastUsedAt: t('2025-06-04T17:40:00Z') } });
    expect(
      shouldRemindAutostop(state, t('2025-06-04T17:45:00Z'), { activeWindowMs: 5 * MIN }),
    ).toBe(true);
    expect(
      shouldRemindAutostop(state, t('2025-06-04T17:44:00Z'), { activeWindowMs: 5 * MIN }),
    ).toBe(false);
  });
});

/** Ticks every minute, stamping the marker like the executor does; returns the reminder times. */
function simulate(
  initial: LifecycleState,
  from: Date,
  to: Date,
  change?: { at: Date; apply: (s: LifecycleState) => LifecycleState },
): string[] {
  let state = initial;
  const sent: string[] = [];
  for (let now = from; now <= to; now = plus(now, MIN)) {
    if (change && now.getTime() === change.at.getTime()) state = change.apply(state);
    const decision = decideLifecycle(state, now);
    if (decision.remind) {
      sent.push(now.toISOString());
      const build = state.latestBuild!;
      state = { ...state, latestBuild: { ...build, notifiedAutostopDeadline: build.deadline } };
    }
  }
  return sent;
}

describe('reminders over time', () => {
  it('one reminder per deadline', () => {
    expect(simulate(running(), built, deadline)).toEqual(['2025-06-04T17:30:00.000Z']);
  });

  it('a second one after an extend', () => {
    const extend = {
      at: t('2025-06-04T17:40:00Z'),
      apply: (s: LifecycleState): LifecycleState => ({
        ...s,
        latestBuild: { ...s.latestBuild!, deadline: t('2025-06-04T19:00:00Z') },
      }),
    };
    expect(simulate(running(), built, t('2025-06-04T19:00:00Z'), extend)).toEqual([
      '2025-06-04T17:30:00.000Z',
      '2025-06-04T18:30:00.000Z',
    ]);
  });

  it('none inside the activity window, one once the user goes quiet', () => {
    const active = running({ workspace: { lastUsedAt: t('2025-06-04T17:35:00Z') } });
    // Active until 17:50 (15 min after 17:35): the reminder comes at 17:50, not at 17:30.
    expect(simulate(active, built, deadline)).toEqual(['2025-06-04T17:50:00.000Z']);
  });

  it('a lead time longer than the whole TTL still gives one reminder', () => {
    const long = running({ template: { timeTilAutostopNotifyMs: 24 * HOUR } });
    // Used at 10:00 (the build), so the user counts as active until 10:15.
    expect(simulate(long, built, deadline)).toEqual(['2025-06-04T10:15:00.000Z']);
  });

  it('no reminder when a transition is due instead', () => {
    const suspended = running({ owner: { status: 'suspended' } });
    const decision = decideLifecycle(suspended, t('2025-06-04T17:45:00Z'));
    expect(decision.transition?.reason).toBe('autostop');
    expect(decision.remind).toBe(false);
  });
});
