import {
  DEMAND_WINDOWS,
  EMPTY_POOL_COUNTS,
  type DemandWindow,
  type DemandWindows,
  type PoolCounts,
  type TargetInputs,
} from '../../../src/domain/autoscaling/index.js';

type Windows = Partial<Record<DemandWindow, number>>;

export function windows(claims: Windows = {}, misses: Windows = {}): DemandWindows {
  const fill = (partial: Windows) =>
    Object.fromEntries(DEMAND_WINDOWS.map((w) => [w, partial[w] ?? 0])) as Record<
      DemandWindow,
      number
    >;
  return { claims: fill(claims), misses: fill(misses) };
}

export const NO_COUNTS: PoolCounts = EMPTY_POOL_COUNTS;

export function inputs(overrides: Partial<TargetInputs> = {}): TargetInputs {
  return {
    scheduledTarget: 2,
    counts: NO_COUNTS,
    demand: windows(),
    history: null,
    measuredLeadTimeMs: null,
    timezone: '',
    ...overrides,
  };
}

/** A flat history: `perHour` attempts in every hour-of-week bucket. */
export function flatHistory(perHour: number, since: Date | null) {
  return { attemptsByHourOfWeek: Array.from({ length: 168 }, () => perHour), since };
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
