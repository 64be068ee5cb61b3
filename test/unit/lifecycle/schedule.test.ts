import { CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  blockedDaysProblem,
  nextAllowedAutostart,
  nextAutostart,
  parseAutostartSchedule,
  ScheduleError,
} from '../../../src/domain/lifecycle/index.js';
import { offsetMinutes, resolveLocal, toLocal } from '../../../src/domain/time/zone.js';
import { DAY, HOUR, t } from './state.js';

describe('parseAutostartSchedule', () => {
  it.each([
    ['0 9 * * 1-5', 'CRON_TZ=UTC 0 9 * * 1-5', [0], [9], [1, 2, 3, 4, 5]],
    [
      'CRON_TZ=Europe/Berlin 30 8 * * *',
      'CRON_TZ=Europe/Berlin 30 8 * * *',
      [30],
      [8],
      [0, 1, 2, 3, 4, 5, 6],
    ],
    [
      '  CRON_TZ=america/new_york   0,30 8-10/2 * * mon,WED,7 ',
      'CRON_TZ=America/New_York 0,30 8-10/2 * * mon,WED,7',
      [0, 30],
      [8, 10],
      [0, 1, 3],
    ],
    ['*/20 7 * * sun-tue', 'CRON_TZ=UTC */20 7 * * sun-tue', [0, 20, 40], [7], [0, 1, 2]],
    ['5/20 7 * * 0', 'CRON_TZ=UTC 5/20 7 * * 0', [5, 25, 45], [7], [0]],
  ])('%s', (input, text, minutes, hours, days) => {
    const schedule = parseAutostartSchedule(input);
    expect(schedule.text).toBe(text);
    expect(schedule.minutes).toEqual(minutes);
    expect(schedule.hours).toEqual(hours);
    expect(schedule.daysOfWeek).toEqual(days);
  });

  it.each([
    ['', 'format', 'expected 5 fields'],
    ['0 9 * *', 'format', 'got 4'],
    ['0 9 * * 1 2', 'format', 'got 6'],
    ['TZ=UTC 0 9 * * *', 'format', 'CRON_TZ='],
    ['CRON_TZ= 0 9 * * *', 'timezone', 'needs a zone name'],
    ['CRON_TZ=Mars/Olympus 0 9 * * *', 'timezone', '"Mars/Olympus" is not an IANA time zone'],
    ['0 9 1 * *', 'day-of-month', 'must be "*" (got "1")'],
    ['0 9 * 1 *', 'month', 'must be "*" (got "1")'],
    ['60 9 * * *', 'minute', '60 is out of range 0-59'],
    ['0 24 * * *', 'hour', '24 is out of range 0-23'],
    ['0 9 * * 8', 'day-of-week', '8 is out of range 0-7'],
    ['0 9 * * funday', 'day-of-week', '"funday" is not a number'],
    ['0 18-9 * * *', 'hour', 'runs backwards'],
    ['*/0 9 * * *', 'minute', 'step "0" must be a positive number'],
    ['0 9,,10 * * *', 'hour', 'empty item'],
    ['0 9 * * L', 'day-of-week', '"L" is not a number'],
  ])('rejects %j (%s)', (input, part, reason) => {
    let error: unknown;
    try {
      parseAutostartSchedule(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ScheduleError);
    expect((error as ScheduleError).part).toBe(part);
    expect((error as ScheduleError).message).toContain(reason);
    expect((error as ScheduleError).message).toContain(`schedule "${input}"`);
  });
});

const next = (schedule: string, after: string) =>
  nextAutostart(parseAutostartSchedule(schedule), t(after))?.toISOString();

describe('nextAutostart', () => {
  it.each([
    ['same day, later', '0 9 * * *', '2025-06-02T08:00:00Z', '2025-06-02T09:00:00.000Z'],
    [
      'strictly after: at the fire -> next day',
      '0 9 * * *',
      '2025-06-02T09:00:00Z',
      '2025-06-03T09:00:00.000Z',
    ],
    [
      'a second after the fire -> next day',
      '0 9 * * *',
      '2025-06-02T09:00:01Z',
      '2025-06-03T09:00:00.000Z',
    ],
    [
      'Friday evening -> Monday (weekdays)',
      '0 9 * * 1-5',
      '2025-06-06T18:00:00Z',
      '2025-06-09T09:00:00.000Z',
    ],
    ['lists within the hour', '0,30 9 * * *', '2025-06-02T09:10:00Z', '2025-06-02T09:30:00.000Z'],
    [
      'Berlin summer time',
      'CRON_TZ=Europe/Berlin 0 9 * * *',
      '2025-06-02T00:00:00Z',
      '2025-06-02T07:00:00.000Z',
    ],
    [
      'Berlin winter time',
      'CRON_TZ=Europe/Berlin 0 9 * * *',
      '2025-01-06T00:00:00Z',
      '2025-01-06T08:00:00.000Z',
    ],
    [
      'half-hour zone',
      'CRON_TZ=Asia/Kolkata 0 9 * * *',
      '2025-06-02T00:00:00Z',
      '2025-06-02T03:30:00.000Z',
    ],
    [
      'weekday judged locally (Auckland Monday = UTC Sunday)',
      'CRON_TZ=Pacific/Auckland 0 8 * * 1',
      '2025-06-01T00:00:00Z',
      '2025-06-01T20:00:00.000Z',
    ],
    // Spring forward in New York on Sunday 2025-03-09: 09:00 is EST on Friday, EDT on Monday.
    [
      'across spring-forward (Fri -> Mon keeps 09:00 local)',
      'CRON_TZ=America/New_York 0 9 * * 1-5',
      '2025-03-07T15:00:00Z',
      '2025-03-10T13:00:00.000Z',
    ],
    // Fall back in New York on Sunday 2025-11-02: 09:00 EDT on Friday, EST on Monday.
    [
      'across fall-back (Fri -> Mon keeps 09:00 local)',
      'CRON_TZ=America/New_York 0 9 * * 1-5',
      '2025-10-31T14:00:00Z',
      '2025-11-03T14:00:00.000Z',
    ],
    // 02:30 does not exist on 2025-03-09 in New York: it fires at 03:30 EDT, the day is not lost.
    [
      'spring-forward gap shifts forward',
      'CRON_TZ=America/New_York 30 2 * * *',
      '2025-03-08T12:00:00Z',
      '2025-03-09T07:30:00.000Z',
    ],
    [
      'day after the gap is normal again',
      'CRON_TZ=America/New_York 30 2 * * *',
      '2025-03-09T12:00:00Z',
      '2025-03-10T06:30:00.000Z',
    ],
    // 01:30 happens twice on 2025-11-02 in New York: the first (EDT) fires, the second does not.
    [
      'fall-back repeat fires at the first occurrence',
      'CRON_TZ=America/New_York 30 1 * * *',
      '2025-11-01T12:00:00Z',
      '2025-11-02T05:30:00.000Z',
    ],
    [
      'the repeated wall time does not fire again',
      'CRON_TZ=America/New_York 30 1 * * *',
      '2025-11-02T05:30:00Z',
      '2025-11-03T06:30:00.000Z',
    ],
    // Sydney springs forward on 2025-10-05 at 02:00 -> 03:00.
    [
      'southern hemisphere gap',
      'CRON_TZ=Australia/Sydney 30 2 * * *',
      '2025-10-04T00:00:00Z',
      '2025-10-04T16:30:00.000Z',
    ],
  ])('%s', (_name, schedule, after, expected) => {
    expect(next(schedule, after)).toBe(expected);
  });
});

describe('nextAllowedAutostart', () => {
  const weekend = 0b1100000; // Saturday and Sunday blocked
  it.each([
    ['weekday allowed', '0 9 * * *', 0, '2025-06-02T00:00:00Z', '2025-06-02T09:00:00.000Z'],
    [
      'Saturday blocked -> Monday',
      '0 9 * * *',
      weekend,
      '2025-06-06T10:00:00Z',
      '2025-06-09T09:00:00.000Z',
    ],
    // Monday 08:00 in Auckland is Sunday 20:00 UTC: blocking Sunday does not block it...
    [
      'blocked day judged in the schedule zone (Sunday blocked)',
      'CRON_TZ=Pacific/Auckland 0 8 * * 1',
      0b1000000,
      '2025-06-01T00:00:00Z',
      '2025-06-01T20:00:00.000Z',
    ],
    // ...and blocking Monday does, although the UTC weekday is Sunday.
    [
      'blocked day judged in the schedule zone (Monday blocked)',
      'CRON_TZ=Pacific/Auckland 0 8 * * 1,2',
      0b0000001,
      '2025-06-01T00:00:00Z',
      '2025-06-02T20:00:00.000Z',
    ],
    ['only blocked days -> none', '0 9 * * 0,6', weekend, '2025-06-02T00:00:00Z', undefined],
    ['every day blocked -> none', '0 12 * * *', 0b1111111, '2025-06-02T00:00:00Z', undefined],
    // Tuesday 01:00 in Tokyo is Monday 16:00 UTC: Tuesday blocked skips it to Wednesday.
    [
      'blocked day judged in the schedule zone (Tokyo, Tuesday blocked)',
      'CRON_TZ=Asia/Tokyo 0 1 * * *',
      0b0000010,
      '2026-03-02T00:00:00Z',
      '2026-03-03T16:00:00.000Z',
    ],
  ])('%s', (_name, schedule, blocked, after, expected) => {
    const parsed = parseAutostartSchedule(schedule);
    expect(
      nextAllowedAutostart(parsed, t(after), { autostartBlockDaysOfWeek: blocked })?.toISOString(),
    ).toBe(expected);
  });

  it('explains a schedule that only fires on blocked days', () => {
    const parsed = parseAutostartSchedule('0 9 * * 6,0');
    expect(blockedDaysProblem(parsed, { autostartBlockDaysOfWeek: 0b1100000 })).toBe(
      'the schedule only fires on days the template blocks for autostart (saturday, sunday)',
    );
    expect(blockedDaysProblem(parsed, { autostartBlockDaysOfWeek: 0b0100000 })).toBeNull();
  });
});

const ZONES = [
  'UTC',
  'America/New_York',
  'Europe/Berlin',
  'Australia/Sydney',
  'Asia/Kolkata',
  'America/Santiago',
  'Pacific/Auckland',
  'Asia/Tokyo',
];

const field = (max: number, min = 0) =>
  fc
    .uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 4 })
    .map((values) => values.sort((a, b) => a - b).join(','));

const scheduleArb = fc.record({
  zone: fc.constantFrom(...ZONES),
  minutes: field(59),
  hours: field(23),
  days: field(6),
});

const afterArb = fc
  .integer({ min: Date.UTC(2023, 0, 1), max: Date.UTC(2030, 11, 31) })
  .map((ms) => new Date(ms));

const textOf = (s: { zone: string; minutes: string; hours: string; days: string }) =>
  `CRON_TZ=${s.zone} ${s.minutes} ${s.hours} * * ${s.days}`;

/** Does the instant match the fields in local time, or is it a gap-shifted matching wall time? */
function matchesLocally(text: string, at: Date): boolean {
  const schedule = parseAutostartSchedule(text);
  const local = toLocal(schedule.zone, at.getTime());
  const matches = (l: { hour: number; minute: number; weekday: number }) =>
    schedule.hours.includes(l.hour) &&
    schedule.minutes.includes(l.minute) &&
    schedule.daysOfWeek.includes(l.weekday);
  if (matches(local)) return true;
  const gap =
    offsetMinutes(schedule.zone, at.getTime()) -
    offsetMinutes(schedule.zone, at.getTime() - 3 * HOUR);
  if (gap <= 0) return false;
  const wall = new Date(
    Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute) - gap * 60_000,
  );
  const intended = {
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    weekday: wall.getUTCDay(),
  };
  const date = {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
  };
  return (
    matches(intended) &&
    resolveLocal(schedule.zone, date, intended.hour, intended.minute) === at.getTime()
  );
}

describe('nextAutostart properties', () => {
  it('is strictly after `after`, within 8 days, and matches the fields in local time', () => {
    fc.assert(
      fc.property(scheduleArb, afterArb, (s, after) => {
        const text = textOf(s);
        const result = nextAutostart(parseAutostartSchedule(text), after);
        expect(result).not.toBeNull();
        expect(result!.getTime()).toBeGreaterThan(after.getTime());
        expect(result!.getTime() - after.getTime()).toBeLessThanOrEqual(8 * DAY);
        expect(result!.getUTCSeconds()).toBe(0);
        expect(matchesLocally(text, result!)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with cron-parser when no DST change is near', () => {
    fc.assert(
      fc.property(scheduleArb, afterArb, (s, after) => {
        const text = textOf(s);
        const schedule = parseAutostartSchedule(text);
        const result = nextAutostart(schedule, after)!;
        const o = (ms: number) => offsetMinutes(schedule.zone, ms);
        fc.pre(o(after.getTime() - DAY) === o(result.getTime() + DAY));
        fc.pre(o(after.getTime()) === o(after.getTime() + 4 * DAY));
        const oracle = CronExpressionParser.parse(`${s.minutes} ${s.hours} * * ${s.days}`, {
          tz: s.zone,
          currentDate: after,
        })
          .next()
          .toDate();
        expect(result.toISOString()).toBe(oracle.toISOString());
      }),
      { numRuns: 300 },
    );
  });

  it('nextAllowedAutostart lands on an allowed local day and never before nextAutostart', () => {
    fc.assert(
      fc.property(scheduleArb, afterArb, fc.integer({ min: 0, max: 127 }), (s, after, blocked) => {
        const schedule = parseAutostartSchedule(textOf(s));
        const allowed = nextAllowedAutostart(schedule, after, {
          autostartBlockDaysOfWeek: blocked,
        });
        const any = nextAutostart(schedule, after)!;
        const allowedDays = schedule.daysOfWeek.filter(
          (day) => (blocked & (1 << ((day + 6) % 7))) === 0,
        );
        if (allowedDays.length === 0) {
          expect(allowed).toBeNull();
          return;
        }
        expect(allowed).not.toBeNull();
        expect(allowed!.getTime()).toBeGreaterThanOrEqual(any.getTime());
        if (blocked === 0) expect(allowed!.getTime()).toBe(any.getTime());
        // Judged on the schedule's own calendar (no zone here moves a fire across midnight).
        const local = toLocal(schedule.zone, allowed!.getTime());
        expect(allowedDays).toContain(local.weekday);
      }),
      { numRuns: 300 },
    );
  });
});
