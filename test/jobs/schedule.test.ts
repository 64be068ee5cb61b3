import { describe, expect, it } from 'vitest';

import {
  buildDeadline,
  type BuildDeadlineInput,
  maxDeadlineFromAutostopRequirement,
  nextStartAtFromAutostartSchedule,
  parseZonedCron,
} from '../../src/jobs/schedule.js';

const at = (iso: string) => new Date(iso);
const MONDAY_10Z = at('2026-03-02T10:00:00Z');
const TUESDAY = 1 << 1;
const SATURDAY = 1 << 5;
const EVERY_DAY = 0x7f;
const H = 3_600_000;

describe('parseZonedCron', () => {
  it.each([
    ['CRON_TZ=Europe/Berlin 30 8 * * 1-5', { zone: 'Europe/Berlin', expression: '30 8 * * 1-5' }],
    ['TZ=UTC 0 9 * * *', { zone: 'UTC', expression: '0 9 * * *' }],
    ['0 9 * * *', { zone: 'UTC', expression: '0 9 * * *' }],
    ['CRON_TZ=Mars/Olympus 0 9 * * *', undefined],
    ['CRON_TZ=UTC 0 9 * *', undefined],
    ['CRON_TZ=UTC 61 9 * * *', undefined],
  ])('%s', (text, expected) => {
    expect(parseZonedCron(text)).toEqual(expected);
  });
});

describe('nextStartAtFromAutostartSchedule', () => {
  it.each([
    ['no schedule', null, 0, MONDAY_10Z, null],
    ['an invalid schedule', 'every morning', 0, MONDAY_10Z, null],
    [
      'a UTC schedule later today',
      'CRON_TZ=UTC 0 12 * * *',
      0,
      MONDAY_10Z,
      at('2026-03-02T12:00:00Z'),
    ],
    // 08:30 Berlin (UTC+1 in March); Tuesday is blocked, so Wednesday.
    [
      'a blocked day skipped',
      'CRON_TZ=Europe/Berlin 30 8 * * *',
      TUESDAY,
      MONDAY_10Z,
      at('2026-03-04T07:30:00Z'),
    ],
    // 01:00 in Tokyo on Tuesday is Monday 16:00 UTC: the day is judged in Tokyo, so it is blocked.
    [
      'the weekday judged in the zone',
      'CRON_TZ=Asia/Tokyo 0 1 * * *',
      TUESDAY,
      at('2026-03-02T00:00:00Z'),
      at('2026-03-03T16:00:00Z'),
    ],
    ['every day blocked', 'CRON_TZ=UTC 0 12 * * *', EVERY_DAY, MONDAY_10Z, null],
    // Only Saturdays, and Saturday blocked: no start within a week.
    ['the only day blocked', 'CRON_TZ=UTC 0 12 * * 6', SATURDAY, MONDAY_10Z, null],
  ])('%s', (_name, schedule, blocked, now, expected) => {
    expect(nextStartAtFromAutostartSchedule(schedule, blocked, now)).toEqual(expected);
  });
});

describe('maxDeadlineFromAutostopRequirement', () => {
  it.each([
    ['no requirement days', { daysOfWeek: 0, weeks: 1 }, '', MONDAY_10Z, null],
    // Quiet hours at midnight UTC; tonight's are more than 2 h away: Tuesday 00:00.
    [
      'every day, default quiet hours',
      { daysOfWeek: EVERY_DAY, weeks: 1 },
      '',
      MONDAY_10Z,
      at('2026-03-03T00:00:00Z'),
    ],
    [
      'Saturdays only',
      { daysOfWeek: SATURDAY, weeks: 1 },
      '',
      MONDAY_10Z,
      at('2026-03-07T00:00:00Z'),
    ],
    // 00:30 Berlin: tonight's 02:00 quiet hours are within the 2 h leeway, so the next night's.
    [
      'quiet hours too close are skipped',
      { daysOfWeek: EVERY_DAY, weeks: 1 },
      'CRON_TZ=Europe/Berlin 0 2 * * *',
      at('2026-03-02T23:30:00Z'),
      at('2026-03-04T01:00:00Z'),
    ],
    // 2026-03-02 is in week 165 since the 2023-01-02 epoch (odd): the next even week's Monday.
    [
      'every second week, odd week',
      { daysOfWeek: EVERY_DAY, weeks: 2 },
      '',
      MONDAY_10Z,
      at('2026-03-09T00:00:00Z'),
    ],
    [
      'every second week, even week',
      { daysOfWeek: EVERY_DAY, weeks: 2 },
      '',
      at('2026-03-09T10:00:00Z'),
      at('2026-03-10T00:00:00Z'),
    ],
  ])('%s', (_name, requirement, quietHours, now, expected) => {
    expect(maxDeadlineFromAutostopRequirement(requirement, quietHours, now)).toEqual(expected);
  });
});

describe('buildDeadline', () => {
  const base: BuildDeadlineInput = {
    workspaceTtlMs: 8 * H,
    allowUserAutostop: true,
    templateDefaultTtlMs: 0,
    autostartSchedule: null,
    autostartBlockedDaysOfWeek: 0,
    requirement: { daysOfWeek: 0, weeks: 1 },
    quietHoursSchedule: '',
    now: MONDAY_10Z,
  };

  it.each([
    ['now + TTL', {}, { deadline: at('2026-03-02T18:00:00Z'), maxDeadline: null }],
    ['no TTL, no deadline', { workspaceTtlMs: null }, { deadline: null, maxDeadline: null }],
    [
      'the template TTL when users may not set their own',
      { allowUserAutostop: false, templateDefaultTtlMs: 2 * H },
      { deadline: at('2026-03-02T12:00:00Z'), maxDeadline: null },
    ],
    // The next autostart (12:00) comes before now + TTL: the TTL runs from the autostart.
    [
      'an autostart before the deadline moves it',
      { autostartSchedule: 'CRON_TZ=UTC 0 12 * * *' },
      { deadline: at('2026-03-02T20:00:00Z'), maxDeadline: null },
    ],
    [
      'max_deadline caps the deadline',
      { workspaceTtlMs: 24 * H, requirement: { daysOfWeek: EVERY_DAY, weeks: 1 } },
      { deadline: at('2026-03-03T00:00:00Z'), maxDeadline: at('2026-03-03T00:00:00Z') },
    ],
    [
      'max_deadline is the deadline without a TTL',
      { workspaceTtlMs: null, requirement: { daysOfWeek: EVERY_DAY, weeks: 1 } },
      { deadline: at('2026-03-03T00:00:00Z'), maxDeadline: at('2026-03-03T00:00:00Z') },
    ],
  ])('%s', (_name, over, expected) => {
    expect(buildDeadline({ ...base, ...over })).toEqual(expected);
  });
});
