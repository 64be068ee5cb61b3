import { describe, expect, it } from 'vitest';

import {
  decideTarget,
  DEFAULT_AUTOSCALING_SETTINGS,
  type ForecastPolicy,
  hitRate,
  hourOfWeek,
  localClock,
  profileRatePerMinute,
} from '../../../src/domain/autoscaling/index.js';
import { DAY, flatHistory, HOUR, inputs, windows } from './fixtures.js';

const MONDAY_10 = new Date('2026-11-23T10:00:00Z');
const SETTINGS = DEFAULT_AUTOSCALING_SETTINGS;

const policy = (overrides: Partial<ForecastPolicy> = {}): ForecastPolicy => ({
  kind: 'forecast',
  targetHitRate: 0.95,
  min: null,
  max: 30,
  historyMs: 28 * DAY,
  leadTimeMs: null,
  ...overrides,
});

/** A history with every bucket 0 except the given ones (index = weekday * 24 + hour). */
function peaks(buckets: Record<number, number>, since: Date | null) {
  const counts = Array.from({ length: 168 }, (_, i) => buckets[i] ?? 0);
  return { attemptsByHourOfWeek: counts, since };
}

const fourWeeksBefore = (at: Date) => new Date(at.getTime() - 28 * DAY);

describe('forecast decision', () => {
  it('sizes a flat demand with Erlang B (0.1 claims/min, L = 2 min: A = 0.2, S = 2)', () => {
    // 28 days = 4 full weeks: every bucket observed 4 hours; 24 attempts / 240 min = 0.1/min.
    const decision = decideTarget(
      policy(),
      inputs({ scheduledTarget: 0, history: flatHistory(24, fourWeeksBefore(MONDAY_10)) }),
      MONDAY_10,
      SETTINGS,
    );
    expect(decision).toEqual({
      desired: 2,
      scheduledTarget: 0,
      source: 'forecast',
      error: null,
      forecast: {
        lambdaPerMinute: expect.closeTo(0.1, 12),
        leadTimeMs: 120_000,
        leadTimeSource: 'default',
        expectedHitRate: expect.closeTo(hitRate(2, 0.2), 12),
      },
    });
    expect(hitRate(1, 0.2)).toBeLessThan(0.95);
    expect(hitRate(2, 0.2)).toBeGreaterThanOrEqual(0.95);
  });

  it('warms the pool before a ramp: the highest rate over [now, now + L]', () => {
    // Monday 09:00-10:00 UTC: 240 attempts over 4 observed hours = 1/min; nothing else.
    const at = (iso: string) => {
      const now = new Date(iso);
      const history = peaks({ [24 + 9]: 240 }, fourWeeksBefore(now));
      return decideTarget(
        policy({ leadTimeMs: 2 * 60_000 }),
        inputs({ scheduledTarget: 1, history }),
        now,
        SETTINGS,
      );
    };
    const before = at('2026-11-23T08:59:00Z');
    // A = 1/min * 2 min = 2: S = 5 (B(4, 2) = 0.095, B(5, 2) = 0.037).
    expect(before.forecast?.lambdaPerMinute).toBeCloseTo(1, 12);
    expect(before.desired).toBe(5);
    expect(before.forecast?.leadTimeSource).toBe('configured');
    // An hour earlier the next 2 minutes are quiet: the schedule (1) is the floor.
    const early = at('2026-11-23T08:00:00Z');
    expect(early.forecast?.lambdaPerMinute).toBe(0);
    expect(early.desired).toBe(1);
    expect(early.forecast?.expectedHitRate).toBe(1);
    // Right after the peak hour it is quiet again.
    expect(at('2026-11-23T10:00:00Z').desired).toBe(1);
  });

  it('never goes below the last 30 minutes rate', () => {
    const decision = decideTarget(
      policy(),
      inputs({
        scheduledTarget: 0,
        history: flatHistory(0, fourWeeksBefore(MONDAY_10)),
        demand: windows({ 30: 20 }, { 30: 10 }),
      }),
      MONDAY_10,
      SETTINGS,
    );
    expect(decision.forecast?.lambdaPerMinute).toBe(1);
    expect(decision.desired).toBe(5);
  });

  it('does not take a young history at face value', () => {
    // Observed for 30 minutes, 3 attempts: the mean is taken over at least an hour (0.05/min);
    // the current bucket's 30 minutes are topped up with it: (3 + 0.05 * 30) / 60 = 0.075/min.
    const now = new Date('2026-11-23T10:59:00Z');
    const history = peaks({ [24 + 10]: 3 }, new Date('2026-11-23T10:29:00Z'));
    const clock = localClock('')!;
    expect(
      profileRatePerMinute({ history, clock, now: now.getTime(), leadTimeMs: 60_000 }),
    ).toBeCloseTo(0.075, 12);
    // Monday 11:00 was never observed: it counts at the mean rate, 0.05/min.
    expect(
      profileRatePerMinute({
        history,
        clock,
        now: new Date('2026-11-23T10:59:00Z').getTime(),
        leadTimeMs: 60 * 60_000,
      }),
    ).toBeCloseTo(0.075, 12);
    const later = peaks({ [24 + 10]: 3 }, new Date('2026-11-23T10:00:00Z'));
    expect(
      profileRatePerMinute({
        history: later,
        clock,
        now: new Date('2026-11-23T11:00:00Z').getTime(),
        leadTimeMs: 60_000,
      }),
    ).toBeCloseTo(3 / 60, 12);
  });

  it('reads the profile in the preset time zone', () => {
    // 09:30 EDT on a Monday is 13:30 UTC: the Monday 09:00 local bucket applies.
    const now = new Date('2026-06-01T13:30:00Z');
    const history = peaks({ [24 + 9]: 240 }, fourWeeksBefore(now));
    const decide = (timezone: string) =>
      decideTarget(policy(), inputs({ scheduledTarget: 0, history, timezone }), now, SETTINGS);
    expect(decide('America/New_York').forecast?.lambdaPerMinute).toBeCloseTo(1, 9);
    expect(decide('').forecast?.lambdaPerMinute).toBe(0);
  });

  it('counts observed minutes across a DST change by local time', () => {
    // Europe/Berlin leaves DST on 2026-10-25. One attempt every 10 minutes for 28 days, bucketed
    // by local hour as the edges do: the rate of a local hour is still 0.1/min.
    const zone = 'Europe/Berlin';
    const clock = localClock(zone)!;
    const now = new Date('2026-11-02T09:00:00Z'); // Monday 10:00 CET
    const since = fourWeeksBefore(now);
    const counts = Array.from({ length: 168 }, () => 0);
    for (let t = since.getTime(); t < now.getTime(); t += 10 * 60_000) {
      counts[hourOfWeek(clock.localMs(t))]! += 1;
    }
    const decision = decideTarget(
      policy({ leadTimeMs: 60_000 }),
      inputs({
        scheduledTarget: 0,
        history: { attemptsByHourOfWeek: counts, since },
        timezone: zone,
      }),
      now,
      SETTINGS,
    );
    expect(decision.forecast?.lambdaPerMinute).toBeCloseTo(0.1, 9);
  });
});

describe('lead time', () => {
  const history = flatHistory(24, fourWeeksBefore(MONDAY_10));
  it.each([
    [{ leadTimeMs: 300_000 }, 90_000, 300_000, 'configured'],
    [{}, 90_000, 90_000, 'measured'],
    [{}, null, 120_000, 'default'],
  ] as const)('%j with measured %s: %d ms, %s', (overrides, measured, ms, source) => {
    const decision = decideTarget(
      policy(overrides),
      inputs({ history, measuredLeadTimeMs: measured }),
      MONDAY_10,
      SETTINGS,
    );
    expect(decision.forecast?.leadTimeMs).toBe(ms);
    expect(decision.forecast?.leadTimeSource).toBe(source);
  });

  it('a longer lead time needs a larger pool', () => {
    const at = (leadTimeMs: number) =>
      decideTarget(policy({ leadTimeMs }), inputs({ history }), MONDAY_10, SETTINGS).desired;
    expect(at(60 * 60_000)).toBeGreaterThan(at(60_000));
  });
});

describe('bounds', () => {
  const busy = flatHistory(240 * 10, fourWeeksBefore(MONDAY_10)); // 10 claims a minute
  const decide = (p: ForecastPolicy, scheduledTarget = 0, settings = SETTINGS) =>
    decideTarget(p, inputs({ scheduledTarget, history: busy }), MONDAY_10, settings);

  it('clamps to max, and to the controller maximum', () => {
    expect(decide(policy({ max: 12 })).desired).toBe(12);
    expect(decide(policy({ max: 500 }), 0, { ...SETTINGS, maxTarget: 10 }).desired).toBe(10);
    const capped = decide(policy({ max: 12 }));
    expect(capped.forecast?.expectedHitRate).toBeCloseTo(hitRate(12, 20), 12);
  });

  it('uses min, else the scheduled target, as the floor', () => {
    const quiet = flatHistory(0, fourWeeksBefore(MONDAY_10));
    const at = (p: ForecastPolicy, scheduledTarget: number) =>
      decideTarget(p, inputs({ scheduledTarget, history: quiet }), MONDAY_10, SETTINGS).desired;
    expect(at(policy({ min: 5 }), 2)).toBe(5);
    expect(at(policy({ min: 0 }), 2)).toBe(0);
    expect(at(policy(), 3)).toBe(3);
    // A schedule above max: max wins (push rejects such a config; this guards stored data).
    expect(at(policy({ max: 2 }), 3)).toBe(2);
  });
});

describe('fallbacks', () => {
  it('uses the scheduled target until an attempt was recorded', () => {
    const decision = decideTarget(
      policy(),
      inputs({ scheduledTarget: 3, history: flatHistory(0, null) }),
      MONDAY_10,
      SETTINGS,
    );
    expect(decision).toEqual({
      desired: 3,
      scheduledTarget: 3,
      source: 'forecast_fallback',
      error: 'no claim attempt recorded yet: using the scheduled target',
      forecast: {
        lambdaPerMinute: 0,
        leadTimeMs: 120_000,
        leadTimeSource: 'default',
        expectedHitRate: 1,
      },
    });
  });

  it.each([
    [{ history: null }, 'the demand history was not loaded'],
    [
      { history: { attemptsByHourOfWeek: [1, 2], since: MONDAY_10 } },
      'the demand history has 2 hour-of-week counts, not 168',
    ],
    [
      { history: { ...flatHistory(1, MONDAY_10), attemptsByHourOfWeek: Array(168).fill(-1) } },
      'the demand history has a count that is not a number >= 0',
    ],
    [
      { history: flatHistory(1, MONDAY_10), timezone: 'Mars/Olympus' },
      'unknown time zone "Mars/Olympus"',
    ],
  ])('%j: %s', (overrides, error) => {
    const decision = decideTarget(
      policy(),
      inputs({ scheduledTarget: 4, ...overrides }),
      MONDAY_10,
      SETTINGS,
    );
    expect(decision).toMatchObject({ desired: 4, source: 'forecast_fallback', error });
  });

  it('reports a stored policy that cannot be used instead of throwing', () => {
    const decision = decideTarget(
      policy({ targetHitRate: 1.5 }),
      inputs({ scheduledTarget: 4, history: flatHistory(1, fourWeeksBefore(MONDAY_10)) }),
      MONDAY_10,
      SETTINGS,
    );
    expect(decision).toMatchObject({ desired: 4, source: 'forecast_fallback' });
    expect(decision.error).toMatch(/target hit rate must be between 0 and 1/);
  });

  it('treats since after now as no observation', () => {
    const decision = decideTarget(
      policy(),
      inputs({ scheduledTarget: 0, history: flatHistory(5, new Date(MONDAY_10.getTime() + HOUR)) }),
      MONDAY_10,
      SETTINGS,
    );
    expect(decision.source).toBe('forecast');
    expect(Number.isFinite(decision.forecast?.lambdaPerMinute)).toBe(true);
  });
});
