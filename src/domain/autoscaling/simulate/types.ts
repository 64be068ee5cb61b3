import type { PrebuildScheduleConfig } from '../../schedule/types.js';
import type { AutoscalingPolicy, AutoscalingSettings, TargetSource } from '../types.js';

/** What `simulate` replays: one preset's demand against one policy. */
export interface SimulationInput {
  /**
   * Claim attempt instants in milliseconds, sorted ascending. Attempts in [from, to) are
   * replayed; earlier ones are history only (they fill the windows and the forecast's profile
   * as recorded attempts would, so a forecast can start warm).
   */
  readonly attempts: ArrayLike<number>;
  /**
   * Outcomes of the history attempts (before `from`), parallel to `attempts`: true = hit. Absent
   * (a trace has no outcomes): every history attempt counts as a hit (a claim).
   */
  readonly recordedHits?: ArrayLike<boolean>;
  readonly from: number;
  readonly to: number;
  /** null = no policy: the pool follows `instances` and the schedules. */
  readonly policy: AutoscalingPolicy | null;
  /** `instances`, the schedules and their zone ('' = UTC when the preset has no scheduling). */
  readonly schedule: PrebuildScheduleConfig;
  /** How long a created prebuild takes to become eligible (the simulated build time). */
  readonly leadTimeMs: number;
  /** What a forecast with `lead_time: auto` sees as measured; default `leadTimeMs`. */
  readonly measuredLeadTimeMs?: number | null;
  readonly reconcileIntervalMs: number;
  readonly settings: AutoscalingSettings;
  /** At most this many points in the time series (default 1000). */
  readonly maxSeriesPoints?: number;
}

export interface SimulationDay {
  /** YYYY-MM-DD, UTC. */
  readonly date: string;
  readonly attempts: number;
  readonly misses: number;
  /** hits / attempts; null without attempts. */
  readonly hitRate: number | null;
  /** Time-integral of prebuilds that exist (eligible + starting) within the day, in hours. */
  readonly prebuildHours: number;
}

/** One step of the time series (for charts). */
export interface SeriesPoint {
  /** Start of the step, ms. */
  readonly at: number;
  readonly attempts: number;
  readonly misses: number;
  /** Highest target (desired) decided during the step. */
  readonly target: number;
  /** Time-weighted mean of eligible prebuilds over the step. */
  readonly eligible: number;
  /** Fewest eligible prebuilds at any time of the step. */
  readonly eligibleMin: number;
  /** Time-weighted mean of prebuilds being created. */
  readonly starting: number;
}

export interface SimulationResult {
  readonly from: number;
  readonly to: number;
  readonly leadTimeMs: number;
  readonly attempts: number;
  readonly hits: number;
  readonly misses: number;
  /** hits / attempts; null without attempts. */
  readonly hitRate: number | null;
  /** Time-integral of eligible + starting prebuilds: what the pool costs. */
  readonly prebuildHours: number;
  /** Time-integral of eligible prebuilds: ready and waiting. */
  readonly idlePrebuildHours: number;
  readonly days: readonly SimulationDay[];
  readonly series: { readonly stepMs: number; readonly points: readonly SeriesPoint[] };
  /** How often the policy was evaluated, per target source, and the first fallback reason. */
  readonly decisions: {
    readonly evaluations: number;
    readonly bySource: Readonly<Partial<Record<TargetSource, number>>>;
    readonly firstError: string | null;
  };
}
