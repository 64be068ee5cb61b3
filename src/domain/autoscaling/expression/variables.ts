import { DEMAND_WINDOWS, type DemandWindows, type PoolCounts } from '../types.js';

/**
 * The variables an autoscaling expression can read: exactly Coder's names and meanings.
 * `claim_rate_Nm` is claims (hits) per minute over the window: `claims_Nm / N`.
 */
export const VARIABLE_NAMES = [
  'scheduled_target',
  'running',
  'eligible',
  'starting',
  'stopping',
  'deleting',
  'expired',
  ...DEMAND_WINDOWS.map((w) => `claims_${w}m` as const),
  ...DEMAND_WINDOWS.map((w) => `misses_${w}m` as const),
  ...DEMAND_WINDOWS.map((w) => `claim_rate_${w}m` as const),
  'hour',
  'weekday',
] as const;

export type VariableName = (typeof VARIABLE_NAMES)[number];

/** One value per variable; built per evaluation by `expressionVariables`. */
export type ExpressionVariables = Readonly<Record<VariableName, number>>;

const NAMES: ReadonlySet<string> = new Set(VARIABLE_NAMES);

/** True for the names above only (an own-key check: nothing from Object.prototype). */
export function isVariableName(name: string): name is VariableName {
  return NAMES.has(name);
}

/** Local wall-clock hour (0-23) and weekday (0 = Sunday) in the preset's time zone. */
export interface LocalHour {
  readonly hour: number;
  readonly weekday: number;
}

export function expressionVariables(
  scheduledTarget: number,
  counts: PoolCounts,
  demand: DemandWindows,
  local: LocalHour,
): ExpressionVariables {
  const { claims, misses } = demand;
  return {
    scheduled_target: scheduledTarget,
    running: counts.running,
    eligible: counts.eligible,
    starting: counts.starting,
    stopping: counts.stopping,
    deleting: counts.deleting,
    expired: counts.expired,
    claims_5m: claims[5],
    claims_10m: claims[10],
    claims_30m: claims[30],
    claims_60m: claims[60],
    claims_120m: claims[120],
    misses_5m: misses[5],
    misses_10m: misses[10],
    misses_30m: misses[30],
    misses_60m: misses[60],
    misses_120m: misses[120],
    claim_rate_5m: claims[5] / 5,
    claim_rate_10m: claims[10] / 10,
    claim_rate_30m: claims[30] / 30,
    claim_rate_60m: claims[60] / 60,
    claim_rate_120m: claims[120] / 120,
    hour: local.hour,
    weekday: local.weekday,
  };
}
