import { describe, expect, it } from 'vitest';

import {
  desiredInstances,
  evaluateDesired,
  nextChange,
  type PrebuildScheduleConfig,
} from '../../../src/domain/schedule/index.js';

const at = (iso: string) => new Date(iso);

/** 2026-11-23 is a Monday. */
const office = (timezone: string): PrebuildScheduleConfig => ({
  instances: 0,
  timezone,
  schedules: [
    { cron: '* 8-18 * * 1-5', instances: 3 },
    { cron: '* 8-14 * * 6', instances: 1 },
  ],
});

type Case = readonly [instant: string, desired: number, schedule: number | null];

function checkCases(config: PrebuildScheduleConfig, cases: readonly Case[]) {
  it.each(cases)('%s -> %i', (instant, desired, schedule) => {
    const result = evaluateDesired(config, at(instant));
    expect(result).toEqual({ desired, schedule });
    expect(desiredInstances(config, at(instant))).toBe(desired);
  });
}

describe("Coder's own boundary cases (TestCalculateDesiredInstances, TestIsWithinRange)", () => {
  // "* 9-18 * * 1-5" is the continuous range 09:00:00-18:59:59, Monday to Friday; base 1.
  checkCases(
    { instances: 1, timezone: 'UTC', schedules: [{ cron: '* 9-18 * * 1-5', instances: 3 }] },
    [
      ['2025-06-02T08:59:59.000Z', 1, null],
      ['2025-06-02T09:00:00.000Z', 3, 0],
      ['2025-06-02T09:01:00.000Z', 3, 0],
      ['2025-06-02T18:00:00.000Z', 3, 0],
      ['2025-06-02T18:59:59.000Z', 3, 0],
      ['2025-06-02T19:00:00.000Z', 1, null],
      ['2025-06-02T19:01:00.000Z', 1, null],
      ['2025-06-07T14:00:00.000Z', 1, null],
    ],
  );
});

describe('range semantics in UTC: both edges of every range', () => {
  checkCases(office('UTC'), [
    ['2026-11-23T07:59:59.999Z', 0, null],
    ['2026-11-23T08:00:00.000Z', 3, 0],
    ['2026-11-23T12:34:56.789Z', 3, 0],
    ['2026-11-23T18:59:59.999Z', 3, 0],
    ['2026-11-23T19:00:00.000Z', 0, null],
    ['2026-11-27T18:59:59.999Z', 3, 0],
    ['2026-11-27T19:00:00.000Z', 0, null],
    ['2026-11-28T07:59:59.999Z', 0, null],
    ['2026-11-28T08:00:00.000Z', 1, 1],
    ['2026-11-28T14:59:59.999Z', 1, 1],
    ['2026-11-28T15:00:00.000Z', 0, null],
    ['2026-11-29T12:00:00.000Z', 0, null],
  ]);
});

describe('zones with 30- and 45-minute offsets', () => {
  describe('Asia/Kolkata (+05:30)', () => {
    checkCases(office('Asia/Kolkata'), [
      ['2026-11-23T02:29:59.999Z', 0, null],
      ['2026-11-23T02:30:00.000Z', 3, 0],
      ['2026-11-23T13:29:59.999Z', 3, 0],
      ['2026-11-23T13:30:00.000Z', 0, null],
    ]);
    // The local day starts at 18:30 UTC of the day before.
    checkCases(
      {
        instances: 0,
        timezone: 'Asia/Kolkata',
        schedules: [{ cron: '* 0-5 * * 1', instances: 2 }],
      },
      [
        ['2026-11-22T18:29:59.999Z', 0, null],
        ['2026-11-22T18:30:00.000Z', 2, 0],
        ['2026-11-23T00:29:59.999Z', 2, 0],
        ['2026-11-23T00:30:00.000Z', 0, null],
      ],
    );
  });
  describe('Asia/Kathmandu (+05:45)', () => {
    checkCases(office('Asia/Kathmandu'), [
      ['2026-11-23T02:14:59.999Z', 0, null],
      ['2026-11-23T02:15:00.000Z', 3, 0],
      ['2026-11-23T13:14:59.999Z', 3, 0],
      ['2026-11-23T13:15:00.000Z', 0, null],
    ]);
  });
});

/** One schedule per hour around the transitions: the skipped hour never matches, the repeated hour matches twice. */
const aroundTransition = (timezone: string): PrebuildScheduleConfig => ({
  instances: 0,
  timezone,
  schedules: [
    { cron: '* 1 * * *', instances: 1 },
    { cron: '* 2 * * *', instances: 2 },
    { cron: '* 3 * * *', instances: 3 },
  ],
});

describe('DST in America/New_York', () => {
  describe('spring forward 2026-03-08: 02:00 EST -> 03:00 EDT, hour 2 does not exist', () => {
    checkCases(aroundTransition('America/New_York'), [
      ['2026-03-08T05:59:59.999Z', 0, null],
      ['2026-03-08T06:00:00.000Z', 1, 0],
      ['2026-03-08T06:59:59.999Z', 1, 0],
      ['2026-03-08T07:00:00.000Z', 3, 2],
      ['2026-03-08T07:59:59.999Z', 3, 2],
      ['2026-03-08T08:00:00.000Z', 0, null],
      // The next day hour 2 exists again (EDT).
      ['2026-03-09T06:00:00.000Z', 2, 1],
    ]);
  });
  describe('fall back 2026-11-01: 02:00 EDT -> 01:00 EST, hour 1 happens twice', () => {
    checkCases(aroundTransition('America/New_York'), [
      ['2026-11-01T04:59:59.999Z', 0, null],
      ['2026-11-01T05:00:00.000Z', 1, 0],
      ['2026-11-01T05:59:59.999Z', 1, 0],
      ['2026-11-01T06:00:00.000Z', 1, 0],
      ['2026-11-01T06:59:59.999Z', 1, 0],
      ['2026-11-01T07:00:00.000Z', 2, 1],
      ['2026-11-01T07:59:59.999Z', 2, 1],
      ['2026-11-01T08:00:00.000Z', 3, 2],
    ]);
  });
  it('the skipped hour matches at no minute of the spring-forward day', () => {
    const config = aroundTransition('America/New_York');
    const start = Date.parse('2026-03-08T05:00:00.000Z');
    for (let minute = 0; minute < 24 * 60; minute++) {
      expect(evaluateDesired(config, new Date(start + minute * 60_000)).schedule).not.toBe(1);
    }
  });
});

describe('DST in Europe/Berlin', () => {
  describe('spring forward 2026-03-29: 02:00 CET -> 03:00 CEST', () => {
    checkCases(aroundTransition('Europe/Berlin'), [
      ['2026-03-29T00:00:00.000Z', 1, 0],
      ['2026-03-29T00:59:59.999Z', 1, 0],
      ['2026-03-29T01:00:00.000Z', 3, 2],
      ['2026-03-29T01:59:59.999Z', 3, 2],
    ]);
  });
  describe('fall back 2026-10-25: 03:00 CEST -> 02:00 CET, hour 2 happens twice', () => {
    checkCases(aroundTransition('Europe/Berlin'), [
      ['2026-10-24T23:59:59.999Z', 1, 0],
      ['2026-10-25T00:00:00.000Z', 2, 1],
      ['2026-10-25T00:59:59.999Z', 2, 1],
      ['2026-10-25T01:00:00.000Z', 2, 1],
      ['2026-10-25T01:59:59.999Z', 2, 1],
      ['2026-10-25T02:00:00.000Z', 3, 2],
    ]);
  });
});

describe('DST in Australia/Sydney (southern hemisphere)', () => {
  describe('fall back 2026-04-05: 03:00 AEDT -> 02:00 AEST, hour 2 happens twice', () => {
    checkCases(aroundTransition('Australia/Sydney'), [
      ['2026-04-04T14:59:59.999Z', 1, 0],
      ['2026-04-04T15:00:00.000Z', 2, 1],
      ['2026-04-04T15:59:59.999Z', 2, 1],
      ['2026-04-04T16:00:00.000Z', 2, 1],
      ['2026-04-04T16:59:59.999Z', 2, 1],
      ['2026-04-04T17:00:00.000Z', 3, 2],
    ]);
  });
  describe('spring forward 2026-10-04: 02:00 AEST -> 03:00 AEDT', () => {
    checkCases(aroundTransition('Australia/Sydney'), [
      ['2026-10-03T15:00:00.000Z', 1, 0],
      ['2026-10-03T15:59:59.999Z', 1, 0],
      ['2026-10-03T16:00:00.000Z', 3, 2],
    ]);
  });
});

describe('day fields', () => {
  const config = (cron: string): PrebuildScheduleConfig => ({
    instances: 0,
    timezone: 'UTC',
    schedules: [{ cron, instances: 7 }],
  });
  const matches = (cron: string, instant: string) =>
    evaluateDesired(config(cron), at(instant)).desired === 7;

  it.each([
    // Both day fields restricted: either matches (Friday OR the 13th).
    ['* 9 13 * 5', '2026-11-27T09:00:00Z', true], // Friday 27th
    ['* 9 13 * 5', '2026-06-13T09:00:00Z', true], // Saturday 13th
    ['* 9 13 * 5', '2026-11-26T09:00:00Z', false], // Thursday 26th
    // A step is a restriction too.
    ['* 9 */2 * 5', '2026-11-27T09:00:00Z', true], // Friday 27th (odd day)
    ['* 9 */2 * 5', '2026-11-24T09:00:00Z', false], // Tuesday 24th (even day)
    ['* 9 */2 * 5', '2026-11-25T09:00:00Z', true], // Wednesday 25th (odd day)
    // Only one restricted: that one decides.
    ['* 9 13 * *', '2026-11-27T09:00:00Z', false],
    ['* 9 * * 5', '2026-06-13T09:00:00Z', false],
    ['* 9 * * FRI', '2026-11-27T09:59:59.999Z', true],
    // Names, lists, 7 = Sunday, month ranges with steps.
    ['* 9 * JAN,JUL *', '2026-07-01T09:00:00Z', true],
    ['* 9 * JAN,JUL *', '2026-08-01T09:00:00Z', false],
    ['* 9 * * 7', '2026-11-29T09:00:00Z', true],
    ['* 9 * * sat-sun', '2026-11-29T09:00:00Z', true],
    ['* 9 * * MON-SUN', '2026-11-29T09:00:00Z', true],
    ['* 9 * JAN-MAR/2 *', '2026-03-10T09:00:00Z', true],
    ['* 9 * JAN-MAR/2 *', '2026-02-10T09:00:00Z', false],
    ['* */6 * * *', '2026-02-10T18:30:00Z', true],
    ['* */6 * * *', '2026-02-10T19:30:00Z', false],
    ['* 22/1 * * *', '2026-02-10T23:00:00Z', true],
    // February 29 exists only in leap years.
    ['* * 29 2 *', '2028-02-29T12:00:00Z', true],
    ['* * 29 2 *', '2027-03-01T12:00:00Z', false],
  ] as const)('%s at %s: %s', (cron, instant, expected) => {
    expect(matches(cron, instant)).toBe(expected);
  });
});

describe('first match wins, no match gives instances', () => {
  it('uses the default count when no schedule matches', () => {
    const config = {
      instances: 5,
      timezone: 'UTC',
      schedules: [{ cron: '* 3 * * *', instances: 1 }],
    };
    expect(evaluateDesired(config, at('2026-01-01T04:00:00Z'))).toEqual({
      desired: 5,
      schedule: null,
    });
  });
  it('needs no timezone without schedules', () => {
    expect(
      evaluateDesired({ instances: 2, timezone: '', schedules: [] }, at('2026-01-01T00:00:00Z')),
    ).toEqual({
      desired: 2,
      schedule: null,
    });
  });
});

describe('invalid stored data falls back to instances with the reason', () => {
  const now = at('2026-11-23T10:00:00Z');
  it.each([
    ['an unknown time zone', { timezone: 'Mars/Olympus' }, /not an IANA time zone/],
    [
      'schedules without a time zone',
      { timezone: '' },
      /timezone: required when there are schedules/,
    ],
    [
      'a minute field',
      { cron: '0 8-18 * * 1-5' },
      /schedule\[0\]\.cron: minute field must be "\*"/,
    ],
    ['four fields', { cron: '* 8-18 * *' }, /exactly 5 fields/],
    ['an unparsable field', { cron: '* 8-25 * * 1-5' }, /25 is out of range 0-23/],
  ])('%s', (_what, change, reason) => {
    const base = office('UTC');
    const config: PrebuildScheduleConfig = {
      ...base,
      instances: 4,
      ...('timezone' in change ? { timezone: change.timezone } : {}),
      ...('cron' in change
        ? { schedules: [{ cron: change.cron, instances: 3 }, ...base.schedules.slice(1)] }
        : {}),
    };
    const result = evaluateDesired(config, now);
    expect(result.desired).toBe(4);
    expect(result.schedule).toBeNull();
    expect(result.error).toMatch(reason);
  });

  it('overlapping stored schedules name both crons', () => {
    const config: PrebuildScheduleConfig = {
      instances: 1,
      timezone: 'UTC',
      schedules: [
        { cron: '* 8-18 * * 1-5', instances: 3 },
        { cron: '* 12 * * MON', instances: 2 },
      ],
    };
    const result = evaluateDesired(config, now);
    expect(result.desired).toBe(1);
    expect(result.error).toContain('"* 12 * * MON" overlaps "* 8-18 * * 1-5"');
  });

  it('never throws, whatever it is given', () => {
    const garbage = [
      null,
      {},
      { instances: 2, timezone: 'UTC', schedules: null },
      { instances: 2, timezone: 'UTC', schedules: [{ cron: 5, instances: 'x' }] },
      { instances: -1, timezone: 'UTC', schedules: [] },
      { instances: 2, timezone: 7, schedules: [{ cron: '* * * * *', instances: 1 }] },
    ];
    for (const config of garbage) {
      const result = evaluateDesired(config as unknown as PrebuildScheduleConfig, now);
      expect(result.error).toEqual(expect.any(String));
      expect(Number.isInteger(result.desired) && result.desired >= 0).toBe(true);
      expect(() => nextChange(config as unknown as PrebuildScheduleConfig, now)).not.toThrow();
    }
    expect(evaluateDesired(office('UTC'), new Date(Number.NaN)).error).toBe('invalid instant');
  });
});

describe('nextChange', () => {
  it.each([
    ['UTC', '2026-11-23T07:30:00.000Z', '2026-11-23T08:00:00.000Z', 3],
    ['UTC', '2026-11-23T08:00:00.000Z', '2026-11-23T19:00:00.000Z', 0],
    ['UTC', '2026-11-27T19:00:00.000Z', '2026-11-28T08:00:00.000Z', 1],
    ['UTC', '2026-11-28T15:00:00.000Z', '2026-11-30T08:00:00.000Z', 3],
    ['Asia/Kathmandu', '2026-11-23T00:00:00.000Z', '2026-11-23T02:15:00.000Z', 3],
    ['Asia/Kolkata', '2026-11-23T03:00:00.000Z', '2026-11-23T13:30:00.000Z', 0],
    ['America/New_York', '2026-11-23T12:59:59.999Z', '2026-11-23T13:00:00.000Z', 3],
  ])('%s from %s: %s -> %i', (zone, from, expectedAt, desired) => {
    expect(nextChange(office(zone), at(from))).toEqual({ at: at(expectedAt), desired });
  });

  it('runs to the end of the repeated hour on a fall-back day', () => {
    const config = {
      instances: 0,
      timezone: 'America/New_York',
      schedules: [{ cron: '* 1 * * *', instances: 4 }],
    };
    expect(nextChange(config, at('2026-11-01T05:30:00Z'))).toEqual({
      at: at('2026-11-01T07:00:00.000Z'),
      desired: 0,
    });
  });

  it('skips the hour that does not exist on a spring-forward day', () => {
    const config = {
      instances: 0,
      timezone: 'America/New_York',
      schedules: [{ cron: '* 2 * * *', instances: 5 }],
    };
    expect(nextChange(config, at('2026-03-08T06:30:00Z'))).toEqual({
      at: at('2026-03-09T06:00:00.000Z'),
      desired: 5,
    });
  });

  it('finds February 29 within the horizon and not beyond it', () => {
    const config = {
      instances: 0,
      timezone: 'UTC',
      schedules: [{ cron: '* * 29 2 *', instances: 1 }],
    };
    expect(nextChange(config, at('2027-06-01T00:00:00Z'))).toEqual({
      at: at('2028-02-29T00:00:00.000Z'),
      desired: 1,
    });
    expect(nextChange(config, at('2026-01-01T00:00:00Z'))).toBeNull();
    expect(nextChange(config, at('2028-02-29T05:00:00Z'))).toEqual({
      at: at('2028-03-01T00:00:00.000Z'),
      desired: 0,
    });
  });

  it('is null when the count never changes or the data is invalid', () => {
    expect(
      nextChange({ instances: 2, timezone: '', schedules: [] }, at('2026-01-01T00:00:00Z')),
    ).toBeNull();
    expect(
      nextChange(
        { instances: 2, timezone: 'UTC', schedules: [{ cron: '* 8 * * *', instances: 2 }] },
        at('2026-01-01T00:00:00Z'),
      ),
    ).toBeNull();
    expect(
      nextChange({ ...office('UTC'), timezone: 'Nowhere/City' }, at('2026-01-01T00:00:00Z')),
    ).toBeNull();
  });
});
