/**
 * Demand-aware pool sizing: the types shared by the pure model (this folder) and its edges
 * (src/autoscaling/, the snapshot, the reconciler, status, plan, metrics and the simulator).
 *
 * A preset's pool size is first resolved from `instances` and its cron schedules (the
 * "scheduled target"); an autoscaling policy, when the preset has one, then decides the final
 * `desired` from that, the pool's counts and the recorded claim attempts.
 */

/** The claim-count windows, in minutes (Coder's names: claims_5m ... claims_120m). */
export const DEMAND_WINDOWS = [5, 10, 30, 60, 120] as const;
export type DemandWindow = (typeof DEMAND_WINDOWS)[number];

/**
 * One preset's claim attempts in each window ending at `now`: `claims` = hits (a prebuild was
 * claimed), `misses` = attempts that found no eligible prebuild (a normal build ran). Counted
 * over the preset's template and preset name, so a new template version keeps its history.
 */
export interface DemandWindows {
  readonly claims: Readonly<Record<DemandWindow, number>>;
  readonly misses: Readonly<Record<DemandWindow, number>>;
}

/** Coder-compatible: `desired` is the value of an expression over the variables below. */
export interface ExpressionPolicy {
  readonly kind: 'expression';
  /** As written in the template config; validated (compiled) at push. */
  readonly expression: string;
}

/** Size the pool for a target hit rate from measured demand and lead time (Erlang B). */
export interface ForecastPolicy {
  readonly kind: 'forecast';
  /** Wanted share of claim attempts that find an eligible prebuild, 0 < r < 1. */
  readonly targetHitRate: number;
  /** Lower bound of the target; null = the scheduled target (schedules become a floor). */
  readonly min: number | null;
  /** Upper bound of the target. */
  readonly max: number;
  /** How far back the per-hour-of-week demand profile looks. */
  readonly historyMs: number;
  /** Time from creation job start to eligible; null = `auto` (measured, else the default). */
  readonly leadTimeMs: number | null;
}

export type AutoscalingPolicy = ExpressionPolicy | ForecastPolicy;

/**
 * Claim attempts (hits + misses) of one preset over the forecast's history, per local hour of
 * the week in the preset's time zone (its scheduling timezone, UTC without scheduling).
 */
export interface DemandHistory {
  /** 168 counts; index = weekday * 24 + hour, weekday 0 = Sunday, local time. */
  readonly attemptsByHourOfWeek: readonly number[];
  /**
   * Start of observation: the later of `now - history` and the preset's first recorded attempt
   * (so a preset with three days of history is not averaged over four weeks); null = no attempt
   * was ever recorded.
   */
  readonly since: Date | null;
}

/** The pool's counts at `now`, as the expression variables of the same names. */
export interface PoolCounts {
  /** Running and not expired (Coder's `running` variable). */
  readonly running: number;
  readonly eligible: number;
  readonly starting: number;
  readonly stopping: number;
  readonly deleting: number;
  readonly expired: number;
}

/** Everything a policy decides from, besides the policy and `now`. */
export interface TargetInputs {
  /** The instances/schedule result. */
  readonly scheduledTarget: number;
  readonly counts: PoolCounts;
  readonly demand: DemandWindows;
  /** Read for forecast policies only; null otherwise. */
  readonly history: DemandHistory | null;
  /** A high quantile of recent successful prebuilds' lead times; null = too few samples. */
  readonly measuredLeadTimeMs: number | null;
  /** IANA zone for `hour`, `weekday` and the hour-of-week profile; '' = UTC. */
  readonly timezone: string;
}

/** Controller-wide settings of the decision. */
export interface AutoscalingSettings {
  /** PREBUILD_CONTROLLER_AUTOSCALING_MAX_TARGET (default 100): every target is clamped to it. */
  readonly maxTarget: number;
  /** Lead time when `auto` has too few measurements (documented default: 2 minutes). */
  readonly defaultLeadTimeMs: number;
}

export type TargetSource =
  'scheduled' | 'expression' | 'expression_fallback' | 'forecast' | 'forecast_fallback';

export interface ForecastDetail {
  /** Claim attempts per minute the pool is sized for (the highest expected over [now, now + L]). */
  readonly lambdaPerMinute: number;
  readonly leadTimeMs: number;
  readonly leadTimeSource: 'configured' | 'measured' | 'default';
  /** 1 - B(desired, lambda * L): the hit rate the chosen pool size gives. */
  readonly expectedHitRate: number;
}

/** The outcome for one preset: what status, plan, the API, the metrics and the log show. */
export interface TargetDecision {
  readonly desired: number;
  readonly scheduledTarget: number;
  readonly source: TargetSource;
  /** Why a fallback happened (expression error, no history yet), else null. */
  readonly error: string | null;
  /** Set when the source is `forecast` (and on `forecast_fallback` when it could be computed). */
  readonly forecast: ForecastDetail | null;
}
