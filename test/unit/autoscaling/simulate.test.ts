import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  type AutoscalingPolicy,
  DEFAULT_AUTOSCALING_SETTINGS,
  erlangB,
} from '../../../src/domain/autoscaling/index.js';
import { simulate, type SimulationInput } from '../../../src/domain/autoscaling/simulate/index.js';
import type { PrebuildScheduleConfig } from '../../../src/domain/schedule/types.js';
import { DAY, HOUR } from './fixtures.js';
import {
  poissonArrivals,
  seededRandom,
} from '../../../src/domain/autoscaling/simulate/sample-demand.js';

const MIN = 60_000;
const FROM = Date.parse('2026-11-23T00:00:00Z'); // a Monday
const fixed = (instances: number): PrebuildScheduleConfig => ({
  instances,
  timezone: '',
  schedules: [],
});

function run(overrides: Partial<SimulationInput>) {
  return simulate({
    attempts: [],
    from: FROM,
    to: FROM + DAY,
    policy: null,
    schedule: fixed(1),
    leadTimeMs: 10 * MIN,
    reconcileIntervalMs: 15_000,
    settings: DEFAULT_AUTOSCALING_SETTINGS,
    ...overrides,
  });
}

// Each run simulates two days: fewer runs than the pure property tests.
const RUNS = { numRuns: Math.ceil(Number(process.env.PROPERTY_RUNS ?? 300) / 10) };

describe('simulate: hand-checked cases', () => {
  it('a claim takes a prebuild, a miss does not, the replacement is eligible L later', () => {
    const result = run({ attempts: [FROM + MIN, FROM + 2 * MIN, FROM + 15 * MIN] });
    // 00:01 hit (replacement ready 00:11); 00:02 miss; 00:15 hit.
    expect(result).toMatchObject({ attempts: 3, hits: 2, misses: 1, hitRate: 2 / 3 });
    // One prebuild exists all day (eligible or being replaced): 24 prebuild-hours.
    expect(result.prebuildHours).toBeCloseTo(24, 9);
    // Not eligible while replaced: 00:01-00:11 and 00:15-00:25.
    expect(result.idlePrebuildHours).toBeCloseTo(24 - 20 / 60, 9);
    expect(result.days).toEqual([
      { date: '2026-11-23', attempts: 3, misses: 1, hitRate: 2 / 3, prebuildHours: 24 },
    ]);
  });

  it('follows the schedule: created at the change, eligible L later, extras deleted at once', () => {
    const schedule: PrebuildScheduleConfig = {
      instances: 0,
      timezone: 'UTC',
      schedules: [{ cron: '* 8-18 * * 1-5', instances: 3 }],
    };
    const result = run({ schedule, leadTimeMs: 2 * MIN, to: FROM + 2 * DAY });
    // Monday and Tuesday 08:00-19:00: 3 prebuilds exist for 11 hours, eligible after 2 minutes.
    expect(result.prebuildHours).toBeCloseTo(2 * 33, 9);
    expect(result.idlePrebuildHours).toBeCloseTo(2 * 3 * (11 - 2 / 60), 9);
    expect(result.days.map((d) => d.prebuildHours)).toEqual([33, 33]);
    expect(result.decisions.bySource).toEqual({ scheduled: result.decisions.evaluations });
    const peak = result.series.points.filter((p) => p.target === 3);
    expect(peak.length).toBeGreaterThan(0);
  });

  it('an expression reacts to the windows right after each claim attempt', () => {
    const policy: AutoscalingPolicy = { kind: 'expression', expression: 'misses_5m' };
    // The pool starts empty; the attempt at 00:10 misses; the pool asks for 1 until 00:15.
    const result = run({
      policy,
      schedule: fixed(0),
      leadTimeMs: MIN,
      attempts: [FROM + 10 * MIN],
    });
    expect(result).toMatchObject({ hits: 0, misses: 1 });
    // Created at 00:10, eligible 00:11, deleted at the first tick after the miss leaves the
    // 5-minute window (00:15:00 exactly: the window is (now - 5m, now]).
    expect(result.prebuildHours).toBeCloseTo(5 / 60, 9);
    expect(result.idlePrebuildHours).toBeCloseTo(4 / 60, 9);
  });

  it('counts history before `from` in the windows, as hits unless recorded otherwise', () => {
    const policy: AutoscalingPolicy = { kind: 'expression', expression: 'claims_10m * 2' };
    const before = [FROM - 3 * MIN, FROM - 2 * MIN];
    const asHits = run({ policy, schedule: fixed(0), attempts: before, to: FROM + HOUR });
    expect(asHits.series.points[0]?.target).toBe(4);
    expect(asHits.attempts).toBe(0);
    const asMisses = run({
      policy,
      schedule: fixed(0),
      attempts: before,
      recordedHits: [false, true],
      to: FROM + HOUR,
    });
    expect(asMisses.series.points[0]?.target).toBe(2);
  });

  it('a forecast without history falls back to the schedule, then learns', () => {
    const policy: AutoscalingPolicy = {
      kind: 'forecast',
      targetHitRate: 0.9,
      min: 0,
      max: 20,
      historyMs: 7 * DAY,
      leadTimeMs: null,
    };
    const attempts = poissonArrivals(seededRandom(7), 1, FROM, FROM + DAY);
    const result = run({ policy, schedule: fixed(1), attempts, leadTimeMs: 2 * MIN });
    expect(result.decisions.firstError).toBe(
      'no claim attempt recorded yet: using the scheduled target',
    );
    expect(result.decisions.bySource.forecast_fallback).toBeGreaterThan(0);
    expect(result.decisions.bySource.forecast).toBeGreaterThan(1000);
    // lambda ~ 1/min, L = 2 min: A ~ 2, S = 4 or 5 at 90 %.
    expect(result.hitRate).toBeGreaterThan(0.85);
  });

  it('rejects an input it cannot simulate', () => {
    expect(() => run({ to: FROM })).toThrow(/from < to/);
    expect(() => run({ reconcileIntervalMs: 0 })).toThrow(/reconcile interval/);
    expect(() => run({ leadTimeMs: -1 })).toThrow(/lead time/);
    expect(() => run({ attempts: [FROM + 2, FROM + 1] })).toThrow(/sorted/);
  });

  it('splits days at UTC midnight and bounds the series', () => {
    const from = FROM + 12 * HOUR;
    const result = run({ from, to: from + 3 * DAY, schedule: fixed(2), maxSeriesPoints: 100 });
    expect(result.days.map((d) => [d.date, d.prebuildHours])).toEqual([
      ['2026-11-23', 24],
      ['2026-11-24', 48],
      ['2026-11-25', 48],
      ['2026-11-26', 24],
    ]);
    expect(result.days.every((d) => d.hitRate === null)).toBe(true);
    expect(result.hitRate).toBeNull();
    expect(result.series.points.length).toBeLessThanOrEqual(100);
    expect(result.series.stepMs).toBe(HOUR);
    expect(result.series.points.every((p) => p.eligible === 2 && p.eligibleMin === 2)).toBe(true);
  });
});

describe('simulate: closed form', () => {
  // Poisson arrivals at lambda, a fixed pool S and lead time L form an Erlang loss system
  // (M/D/S/S; Erlang B holds for any service-time distribution): the long-run hit rate is
  // 1 - B(S, lambda * L). With 30 simulated days (20k-90k attempts) the simulated rate is within
  // 0.01 of it; the seeded arrivals make the check deterministic.
  it.each([
    [5, 2, 2],
    [2, 0.5, 2],
    [10, 1, 8],
    [1, 0.1, 5],
  ])('S = %i, lambda = %d/min, L = %i min', (servers, perMinute, leadMinutes) => {
    const to = FROM + 30 * DAY;
    const attempts = poissonArrivals(
      seededRandom(servers * 1000 + leadMinutes),
      perMinute,
      FROM,
      to,
    );
    const result = run({ attempts, to, schedule: fixed(servers), leadTimeMs: leadMinutes * MIN });
    const expected = 1 - erlangB(servers, perMinute * leadMinutes);
    expect(Math.abs((result.hitRate as number) - expected)).toBeLessThan(0.01);
    // The mean number of eligible prebuilds is S minus the mean number being replaced (Little's
    // law; replacements still running at the end are cut short, hence the tolerance).
    const replacing = (result.hits / (30 * 24)) * (leadMinutes / 60);
    expect(Math.abs(result.idlePrebuildHours / (30 * 24) - (servers - replacing))).toBeLessThan(
      0.001,
    );
  });
});

describe('simulate: properties', () => {
  const trace = fc
    .array(fc.integer({ min: 0, max: 2 * DAY - 1 }), { maxLength: 300 })
    .map((offsets) => offsets.sort((a, b) => a - b).map((o) => FROM + o));

  it('is deterministic', () => {
    fc.assert(
      fc.property(trace, (attempts) => {
        const policy: AutoscalingPolicy = {
          kind: 'expression',
          expression: 'max(1, claims_30m + misses_10m)',
        };
        const input = { attempts, to: FROM + 2 * DAY, policy };
        expect(run(input)).toEqual(run(input));
      }),
      RUNS,
    );
  });

  it('a larger fixed pool never hits less, and costs at least as much', () => {
    fc.assert(
      fc.property(
        trace,
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 60 }),
        (attempts, s, lead) => {
          const at = (size: number) =>
            run({ attempts, to: FROM + 2 * DAY, schedule: fixed(size), leadTimeMs: lead * MIN });
          const small = at(s);
          const large = at(s + 1);
          expect(large.hits).toBeGreaterThanOrEqual(small.hits);
          expect(large.prebuildHours).toBeGreaterThanOrEqual(small.prebuildHours);
        },
      ),
      RUNS,
    );
  });

  it('never learns from the future: a longer run agrees on the days before', () => {
    const policy: AutoscalingPolicy = {
      kind: 'forecast',
      targetHitRate: 0.9,
      min: null,
      max: 30,
      historyMs: 7 * DAY,
      leadTimeMs: null,
    };
    fc.assert(
      fc.property(trace, (attempts) => {
        const short = run({ attempts, to: FROM + DAY, policy, leadTimeMs: 2 * MIN });
        const long = run({ attempts, to: FROM + 2 * DAY, policy, leadTimeMs: 2 * MIN });
        expect(long.days[0]).toEqual(short.days[0]);
      }),
      RUNS,
    );
  });

  it('accounts every attempt once and keeps idle time within the pool time', () => {
    fc.assert(
      fc.property(trace, fc.integer({ min: 0, max: 5 }), (attempts, instances) => {
        const result = run({ attempts, to: FROM + 2 * DAY, schedule: fixed(instances) });
        expect(result.attempts).toBe(attempts.length);
        expect(result.hits + result.misses).toBe(result.attempts);
        expect(result.days.reduce((n, d) => n + d.attempts, 0)).toBe(result.attempts);
        expect(result.series.points.reduce((n, p) => n + p.misses, 0)).toBe(result.misses);
        expect(result.idlePrebuildHours).toBeLessThanOrEqual(result.prebuildHours + 1e-9);
      }),
      RUNS,
    );
  });
});
