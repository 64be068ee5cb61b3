import { describe, expect, it } from 'vitest';

import {
  AutostopError,
  type AutostopInput,
  calculateAutostop,
  DEFAULT_QUIET_HOURS,
  nextApplicableMonday,
  nextQuietHours,
  parseQuietHours,
  ScheduleError,
  weeksSinceEpoch,
} from '../../../src/domain/lifecycle/index.js';
import { HOUR, t } from './state.js';

const SAT = 0b0100000;
const SAT_SUN = 0b1100000;
const DAILY = 0b1111111;

function input(overrides: {
  now: string;
  ttlMs?: number | null;
  schedule?: string | null;
  allowUserAutostop?: boolean;
  defaultTtlMs?: number;
  days?: number;
  weeks?: number;
  blocked?: number;
  quietHours?: string;
}): AutostopInput {
  return {
    now: t(overrides.now),
    workspace: { ttlMs: overrides.ttlMs ?? null, autostartSchedule: overrides.schedule ?? null },
    template: {
      allowUserAutostop: overrides.allowUserAutostop ?? true,
      defaultTtlMs: overrides.defaultTtlMs ?? 0,
      autostopRequirementDaysOfWeek: overrides.days ?? 0,
      autostopRequirementWeeks: overrides.weeks ?? 1,
      autostartBlockDaysOfWeek: overrides.blocked ?? 0,
    },
    quietHours: overrides.quietHours ?? DEFAULT_QUIET_HOURS,
  };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('calculateAutostop', () => {
  // 2025-06-02 is a Monday.
  it.each([
    ['no TTL, no requirement: manual stop', { now: '2025-06-04T10:00:00Z' }, null, null],
    [
      'workspace TTL',
      { now: '2025-06-04T10:00:00Z', ttlMs: 8 * HOUR },
      '2025-06-04T18:00:00.000Z',
      null,
    ],
    [
      'template default when users may not set autostop',
      {
        now: '2025-06-04T10:00:00Z',
        ttlMs: 8 * HOUR,
        allowUserAutostop: false,
        defaultTtlMs: 2 * HOUR,
      },
      '2025-06-04T12:00:00.000Z',
      null,
    ],
    [
      'no template default when users may not set autostop: manual',
      { now: '2025-06-04T10:00:00Z', ttlMs: 8 * HOUR, allowUserAutostop: false },
      null,
      null,
    ],
    [
      'deadline crossing the next autostart becomes autostart + TTL',
      { now: '2025-06-04T20:00:00Z', ttlMs: 16 * HOUR, schedule: '0 9 * * *' },
      '2025-06-06T01:00:00.000Z',
      null,
    ],
    [
      'deadline before the next autostart stays',
      { now: '2025-06-04T10:00:00Z', ttlMs: 8 * HOUR, schedule: '0 9 * * *' },
      '2025-06-04T18:00:00.000Z',
      null,
    ],
    [
      'a blocked autostart day does not count (Friday night, weekend blocked)',
      { now: '2025-06-06T20:00:00Z', ttlMs: 16 * HOUR, schedule: '0 9 * * *', blocked: SAT_SUN },
      '2025-06-07T12:00:00.000Z',
      null,
    ],
    [
      'daily requirement: TTL shorter than quiet hours stays',
      { now: '2025-06-04T10:00:00Z', ttlMs: 8 * HOUR, days: DAILY },
      '2025-06-04T18:00:00.000Z',
      '2025-06-05T00:00:00.000Z',
    ],
    [
      'daily requirement: deadline clamped to max_deadline',
      { now: '2025-06-04T10:00:00Z', ttlMs: 24 * HOUR, days: DAILY },
      '2025-06-05T00:00:00.000Z',
      '2025-06-05T00:00:00.000Z',
    ],
    [
      'no TTL with a requirement: stops at max_deadline',
      { now: '2025-06-04T10:00:00Z', days: DAILY },
      '2025-06-05T00:00:00.000Z',
      '2025-06-05T00:00:00.000Z',
    ],
    [
      'started 3 h before quiet hours: stops at them',
      { now: '2025-06-04T21:00:00Z', days: DAILY },
      '2025-06-05T00:00:00.000Z',
      '2025-06-05T00:00:00.000Z',
    ],
    [
      'started 1.5 h before quiet hours (inside the 2 h leeway): the next day',
      { now: '2025-06-04T22:30:00Z', days: DAILY },
      '2025-06-06T00:00:00.000Z',
      '2025-06-06T00:00:00.000Z',
    ],
    [
      'weekend requirement in the user zone (Berlin 22:00 = 21:00Z in summer)',
      {
        now: '2025-06-04T10:00:00Z',
        ttlMs: 8 * HOUR,
        days: SAT_SUN,
        quietHours: 'CRON_TZ=Europe/Berlin 0 22 * * *',
      },
      '2025-06-04T18:00:00.000Z',
      '2025-06-07T20:00:00.000Z',
    ],
    [
      'Saturdays only, default quiet hours',
      { now: '2026-03-02T10:00:00Z', days: SAT },
      '2026-03-07T00:00:00.000Z',
      '2026-03-07T00:00:00.000Z',
    ],
    // 00:30 in Berlin: tonight's 02:00 quiet hours are inside the 2 h leeway, so the next night's.
    [
      'quiet hours within the leeway in the user zone: the next night',
      { now: '2026-03-02T23:30:00Z', days: DAILY, quietHours: 'CRON_TZ=Europe/Berlin 0 2 * * *' },
      '2026-03-04T01:00:00.000Z',
      '2026-03-04T01:00:00.000Z',
    ],
    [
      'every 2 weeks, applicable week (week 126 since 2023-01-02)',
      { now: '2025-06-04T10:00:00Z', days: SAT, weeks: 2 },
      '2025-06-07T00:00:00.000Z',
      '2025-06-07T00:00:00.000Z',
    ],
    [
      'every 2 weeks, off week (127): Saturday of week 128',
      { now: '2025-06-11T10:00:00Z', days: SAT, weeks: 2 },
      '2025-06-21T00:00:00.000Z',
      '2025-06-21T00:00:00.000Z',
    ],
    [
      'every 3 weeks from week 127: week 129',
      { now: '2025-06-11T10:00:00Z', days: SAT, weeks: 3 },
      '2025-06-28T00:00:00.000Z',
      '2025-06-28T00:00:00.000Z',
    ],
    // New York springs forward on Sunday 2025-03-09: 02:30 does not exist and becomes 03:30 EDT.
    [
      'quiet hours inside the spring-forward gap shift forward',
      {
        now: '2025-03-08T12:00:00Z',
        days: DAILY,
        quietHours: 'CRON_TZ=America/New_York 30 2 * * *',
      },
      '2025-03-09T07:30:00.000Z',
      '2025-03-09T07:30:00.000Z',
    ],
    // New York falls back on Sunday 2025-11-02: 01:30 happens twice, the first one (EDT) counts.
    [
      'quiet hours inside the fall-back repeat: first occurrence',
      {
        now: '2025-11-01T12:00:00Z',
        days: DAILY,
        quietHours: 'CRON_TZ=America/New_York 30 1 * * *',
      },
      '2025-11-02T05:30:00.000Z',
      '2025-11-02T05:30:00.000Z',
    ],
  ])('%s', (_name, overrides, deadline, maxDeadline) => {
    const result = calculateAutostop(input(overrides));
    expect(iso(result.deadline)).toBe(deadline);
    expect(iso(result.maxDeadline)).toBe(maxDeadline);
  });

  it('rejects an unusable quiet-hours schedule', () => {
    expect(() =>
      calculateAutostop(
        input({ now: '2025-06-04T10:00:00Z', days: DAILY, quietHours: '0 22 * * 1' }),
      ),
    ).toThrow(/quiet hours: schedule "0 22 \* \* 1": day-of-week: must be "\*"/);
  });

  it('reports a deadline computed in the past', () => {
    expect(() => calculateAutostop(input({ now: '2025-06-04T10:00:00Z', ttlMs: -HOUR }))).toThrow(
      AutostopError,
    );
    expect(() => calculateAutostop(input({ now: '2025-06-04T10:00:00Z', ttlMs: -HOUR }))).toThrow(
      /in the past \(deadline=2025-06-04T09:00:00.000Z, max_deadline=none/,
    );
  });

  it('reports a clock before the weeks epoch', () => {
    expect(() =>
      calculateAutostop(input({ now: '2022-12-01T10:00:00Z', days: SAT, weeks: 2 })),
    ).toThrow(/before 2023-01-02/);
  });
});

describe('weeks since the epoch', () => {
  it.each([
    [{ year: 2023, month: 1, day: 2 }, 0],
    [{ year: 2023, month: 1, day: 8 }, 0],
    [{ year: 2023, month: 1, day: 9 }, 1],
    [{ year: 2025, month: 6, day: 2 }, 126],
    [{ year: 2025, month: 6, day: 8 }, 126],
    [{ year: 2025, month: 6, day: 9 }, 127],
  ])('%j is week %i', (date, week) => {
    expect(weeksSinceEpoch(date)).toBe(week);
  });

  it('next applicable Monday', () => {
    expect(nextApplicableMonday({ year: 2025, month: 6, day: 4 }, 2)).toEqual({
      year: 2025,
      month: 6,
      day: 4,
    });
    expect(nextApplicableMonday({ year: 2025, month: 6, day: 11 }, 2)).toEqual({
      year: 2025,
      month: 6,
      day: 16,
    });
    expect(nextApplicableMonday({ year: 2025, month: 6, day: 11 }, 3)).toEqual({
      year: 2025,
      month: 6,
      day: 23,
    });
  });
});

describe('parseQuietHours', () => {
  it('accepts the default and zones', () => {
    expect(parseQuietHours(DEFAULT_QUIET_HOURS)).toMatchObject({
      zoneName: 'UTC',
      hour: 0,
      minute: 0,
    });
    expect(parseQuietHours('CRON_TZ=Europe/Berlin 30 22 * * *')).toMatchObject({
      text: 'CRON_TZ=Europe/Berlin 30 22 * * *',
      hour: 22,
      minute: 30,
    });
  });

  it.each([
    ['0 22 * * 1-5', 'day-of-week'],
    ['0 22 1 * *', 'day-of-month'],
    ['0,30 22 * * *', 'minute'],
    ['0 22-23 * * *', 'hour'],
    ['CRON_TZ=Nowhere 0 22 * * *', 'timezone'],
  ])('rejects %j (%s)', (text, part) => {
    expect(() => parseQuietHours(text)).toThrow(ScheduleError);
    try {
      parseQuietHours(text);
    } catch (error) {
      expect((error as ScheduleError).part).toBe(part);
    }
  });

  it('next start is strictly after', () => {
    const quiet = parseQuietHours('CRON_TZ=UTC 0 22 * * *');
    expect(nextQuietHours(quiet, t('2025-06-04T22:00:00Z')).toISOString()).toBe(
      '2025-06-05T22:00:00.000Z',
    );
    expect(nextQuietHours(quiet, t('2025-06-04T21:59:00Z')).toISOString()).toBe(
      '2025-06-04T22:00:00.000Z',
    );
  });
});
