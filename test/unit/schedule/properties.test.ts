import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  evaluateDesired,
  findOverlap,
  nextChange,
  parseCronRange,
} from '../../../src/domain/schedule/index.js';
import {
  configNearTransition,
  cronText,
  instant,
  luxonLocal,
  oracleCron,
  oracleDesired,
  oracleMatches,
  validConfig,
} from './arbitraries.js';

const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) };

describe('evaluateDesired properties', () => {
  it('always returns one of the configured counts, without error for valid data', () => {
    fc.assert(
      fc.property(validConfig, instant, (config, ms) => {
        const result = evaluateDesired(config, new Date(ms));
        expect(result.error).toBeUndefined();
        const counts = [config.instances, ...config.schedules.map((s) => s.instances)];
        expect(counts).toContain(result.desired);
        if (result.schedule !== null) {
          expect(result.desired).toBe(config.schedules[result.schedule]?.instances);
        }
      }),
      RUNS,
    );
  });

  it('equals the brute-force evaluation of the cron fields on the local date-time', () => {
    fc.assert(
      fc.property(validConfig, instant, (config, ms) => {
        expect(evaluateDesired(config, new Date(ms)).desired).toBe(oracleDesired(config, ms));
      }),
      { numRuns: RUNS.numRuns * 3 },
    );
  });

  it('equals the brute-force evaluation around DST changes too', () => {
    fc.assert(
      fc.property(configNearTransition, ([config, ms]) => {
        expect(evaluateDesired(config, new Date(ms)).desired).toBe(oracleDesired(config, ms));
      }),
      { numRuns: RUNS.numRuns * 3 },
    );
  });

  it('is constant within any local clock hour (both occurrences of a repeated hour included)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.tuple(validConfig, instant), configNearTransition),
        fc.integer({ min: -3_600_000, max: 3_600_000 }),
        ([config, ms], delta) => {
          const a = luxonLocal(ms, config.timezone);
          const b = luxonLocal(ms + delta, config.timezone);
          fc.pre(a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour);
          expect(evaluateDesired(config, new Date(ms + delta)).desired).toBe(
            evaluateDesired(config, new Date(ms)).desired,
          );
        },
      ),
      RUNS,
    );
  });
});

describe('nextChange properties', () => {
  const QUARTER_HOUR = 900_000;
  const HORIZON = 10 * 86_400_000;

  // Every UTC offset in use is a whole number of quarter hours, so every local hour starts on a
  // UTC quarter hour: checking those instants checks every instant where the count can change.
  it('returns the first instant with another count, or null when there is none in the horizon', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.tuple(validConfig, instant), configNearTransition),
        ([config, ms]) => {
          const current = oracleDesired(config, ms);
          const change = nextChange(config, new Date(ms), HORIZON);
          const end = change ? change.at.getTime() : ms + HORIZON;
          for (
            let t = Math.floor(ms / QUARTER_HOUR) * QUARTER_HOUR + QUARTER_HOUR;
            t < end;
            t += QUARTER_HOUR
          ) {
            expect(oracleDesired(config, t)).toBe(current);
          }
          if (change) {
            expect(change.at.getTime()).toBeGreaterThan(ms);
            expect(change.desired).not.toBe(current);
            expect(oracleDesired(config, change.at.getTime())).toBe(change.desired);
            expect(oracleDesired(config, change.at.getTime() - 1)).toBe(current);
          }
        },
      ),
      { numRuns: Math.ceil(RUNS.numRuns / 2) },
    );
  });
});

describe('cron field parsing', () => {
  it('expands every field as cron-parser does, with the same day-field restriction rule', () => {
    fc.assert(
      fc.property(cronText, (text) => {
        const oracle = oracleCron(text);
        const parsed = parseCronRange(text);
        fc.pre(oracle !== undefined && parsed.ok);
        if (!oracle || !parsed.ok) return;
        const set = (flags: readonly boolean[]) =>
          new Set(flags.flatMap((on, value) => (on ? [value] : [])));
        expect(set(parsed.cron.hours)).toEqual(oracle.hours);
        // cron-parser drops days the selected months never have (31 for September alone).
        const longest = Math.max(
          ...[...oracle.months].map((m) => (m === 2 ? 29 : [4, 6, 9, 11].includes(m) ? 30 : 31)),
        );
        const existing = (days: ReadonlySet<number>) =>
          new Set([...days].filter((d) => d <= longest));
        expect(existing(set(parsed.cron.daysOfMonth))).toEqual(existing(oracle.doms));
        expect(set(parsed.cron.months)).toEqual(oracle.months);
        expect(set(parsed.cron.daysOfWeek)).toEqual(oracle.dows);
        expect(parsed.cron.domRestricted).toBe(!oracle.domWildcard);
        expect(parsed.cron.dowRestricted).toBe(!oracle.dowWildcard);
      }),
      { numRuns: RUNS.numRuns * 2 },
    );
  });
});

/**
 * Brute force over every hour of 2001-01-01 .. 2028-12-31. A 4-year window is not enough: in
 * four years each calendar date falls on only four weekdays (February 29 on one), so "Feb 29 on
 * a Monday" (2044) or "Jan 31 on a Tuesday" may not occur. These 28 years hold every (month,
 * day, weekday) that exists: 2001-2028 has no skipped century leap year, each date cycles
 * through all weekdays, and its 7 leap days fall on 7 different weekdays.
 */
function bruteForceOverlap(a: string, b: string): boolean {
  const x = oracleCron(a);
  const y = oracleCron(b);
  if (!x || !y) throw new Error('generator produced an unreadable cron');
  for (let day = Date.UTC(2001, 0, 1); day < Date.UTC(2029, 0, 1); day += 86_400_000) {
    const date = new Date(day);
    const local = {
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      weekday: date.getUTCDay(),
      hour: 0,
    };
    for (let hour = 0; hour < 24; hour++) {
      local.hour = hour;
      if (oracleMatches(x, local) && oracleMatches(y, local)) return true;
    }
  }
  return false;
}

describe('overlap detection', () => {
  const readable = cronText.filter(
    (text) => parseCronRange(text).ok && oracleCron(text) !== undefined,
  );

  it('agrees with brute force over every hour of a 28-year calendar', () => {
    fc.assert(
      fc.property(readable, readable, (a, b) => {
        const x = parseCronRange(a);
        const y = parseCronRange(b);
        if (!x.ok || !y.ok) throw new Error('filtered above');
        const witness = findOverlap(x.cron, y.cron);
        expect(witness !== null).toBe(bruteForceOverlap(a, b));
        if (witness) {
          // The witness is a real local hour both cover.
          expect(oracleMatches(oracleCron(a) as never, witness)).toBe(true);
          expect(oracleMatches(oracleCron(b) as never, witness)).toBe(true);
        }
      }),
      { numRuns: Math.ceil((RUNS.numRuns * 2) / 3) },
    );
  });

  it.each([
    // Feb 29 is a Monday in 2044 (not within any 4 years around now): still an overlap.
    ['* 0 29 2 *', '* 0 * * 1', true],
    ['* 0 29 2 *', '* 0 30 * *', false],
    ['* 0 29 2 *', '* 0 1-28 2 *', false],
    // Friday the 13th: each cron restricts one day field, so they meet on such a date.
    ['* 9 13 * *', '* 9 * * 5', true],
    // Both restricted in one cron: "the 13th OR Friday" meets "any Friday".
    ['* 9 13 * 5', '* 9 * * 5', true],
    ['* 9 13 * 5', '* 9 14 * 6', true],
    // May 31 exists, April 31 and June 31 do not.
    ['* 9 31 4-6 *', '* 9 * 4,6 *', false],
    ['* 9 31 4-6 *', '* 9 * 5 *', true],
    ['* 9 31 1 *', '* 9 * 2-12 *', false],
    ['* 8-18 * * 1-5', '* 19-23 * * 1-5', false],
    ['* 8-18 * * 1-5', '* 8-14 * * 6', false],
    ['* 8-18 * * 1-5', '* 18 * * 5', true],
  ] as const)('%s vs %s: %s', (a, b, expected) => {
    const x = parseCronRange(a);
    const y = parseCronRange(b);
    if (!x.ok || !y.ok) throw new Error('test crons must parse');
    expect(findOverlap(x.cron, y.cron) !== null).toBe(expected);
    expect(bruteForceOverlap(a, b)).toBe(expected);
  });
});
