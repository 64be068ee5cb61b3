import type { AutoscalingPolicy, DemandHistory, DemandWindows } from '../autoscaling/types.js';
import type { PrebuildSchedule } from '../schedule/types.js';

/** Owner of every prebuilt workspace (the same id as Coder's). */
export const PREBUILDS_SYSTEM_USER_ID = 'c42fdf75-3097-471c-8c33-fb52454d81c0';

export type PrebuildStatus = 'healthy' | 'hard_limited' | 'validation_failed';
export type Transition = 'start' | 'stop' | 'delete';

/** A preset as the snapshot sees it, with its template, version and schedules. */
export interface PresetRow {
  readonly id: string;
  readonly name: string;
  readonly templateId: string;
  readonly templateName: string;
  readonly organizationId: string;
  readonly organizationName: string;
  readonly templateVersionId: string;
  readonly templateVersionName: string;
  readonly usingActiveVersion: boolean;
  readonly templateDeleted: boolean;
  readonly templateDeprecated: boolean;
  /** null = the preset asks for no prebuilds. */
  readonly desiredInstances: number | null;
  /** Prebuild TTL in seconds; 0 = never expire. */
  readonly ttlSecs: number;
  readonly schedulingTimezone: string;
  /** In config order: the first matching schedule wins. */
  readonly schedules: readonly PrebuildSchedule[];
  readonly prebuildStatus: PrebuildStatus;
  /** Prebuilds created before this instant are expired. */
  readonly lastInvalidatedAt: Date | null;
  /** Creation builds before this instant count neither for backoff nor for the hard limit. */
  readonly failureLimitResetAt: Date | null;
  /** Demand-aware pool size (`prebuilds.autoscaling`); null or absent = none. */
  readonly autoscaling?: AutoscalingPolicy | null;
  /** Why the stored policy could not be read (the scheduled target applies), else null. */
  readonly autoscalingError?: {
    readonly kind: AutoscalingPolicy['kind'];
    readonly message: string;
  } | null;
}

/**
 * What an autoscaling policy decides from besides the pool's own counts, per preset: the claim
 * windows, and for forecasts the demand history and the measured lead time. Absent = no claim
 * recorded in the windows, no history loaded, no measurement.
 */
export interface AutoscalingInput {
  readonly presetId: string;
  readonly demand: DemandWindows;
  readonly history: DemandHistory | null;
  readonly measuredLeadTimeMs: number | null;
}

/** A prebuild whose latest build is a succeeded start. */
export interface RunningPrebuild {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly templateId: string;
  readonly templateVersionId: string;
  /** The latest build that named a preset; null = none (such a workspace is left alone). */
  readonly presetId: string | null;
  /** Every agent of the latest build reports ready (and there is at least one). */
  readonly ready: boolean;
  readonly createdAt: Date;
}

/** A prebuild that is stopped, or whose latest build failed or was canceled. */
export interface StoppedOrFailedPrebuild {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly templateId: string;
  readonly templateVersionId: string;
  readonly presetId: string | null;
  readonly transition: Transition;
  readonly jobStatus: 'succeeded' | 'failed' | 'canceled';
  readonly completedAt: Date;
  readonly createdAt: Date;
  /** Consecutive failed deletes (the latest build is one); absent or 0 otherwise. */
  readonly failedDeletes?: number;
  /** The reconciler gave up deleting it (the retry limit) and has notified. */
  readonly deleteGivenUp?: boolean;
}

export interface InProgressCount {
  readonly presetId: string;
  readonly transition: Transition;
  readonly count: number;
}

export interface PendingJobCount {
  readonly presetId: string;
  readonly count: number;
}

/** Creation failures since the preset's last successful creation, within the lookback. */
export interface BackoffInput {
  readonly presetId: string;
  readonly failedCount: number;
  readonly lastFailureAt: Date;
}

/** The preset's newest N creation builds (N = the hard limit): how many, how many failed. */
export interface FailureStreak {
  readonly presetId: string;
  readonly considered: number;
  readonly failed: number;
  readonly lastFailureAt: Date | null;
}

/** Everything one pass decides from, read in one REPEATABLE READ transaction. */
export interface GlobalSnapshot {
  readonly presets: readonly PresetRow[];
  readonly running: readonly RunningPrebuild[];
  readonly inProgress: readonly InProgressCount[];
  /** Pending unassigned creation jobs of presets that no longer create. */
  readonly pendingInactive: readonly PendingJobCount[];
  /** Stopped or failed prebuilds past the cleanup grace period. */
  readonly stoppedOrFailed: readonly StoppedOrFailedPrebuild[];
  readonly backoffs: readonly BackoffInput[];
  readonly failureStreaks: readonly FailureStreak[];
  /**
   * When the first stopped or failed prebuild still within the cleanup grace period leaves it
   * (is due for deletion); null or absent when there is none.
   */
  readonly graceEndsAt?: Date | null;
  /** Inputs of the presets' autoscaling policies (see AutoscalingInput); absent = none. */
  readonly autoscaling?: readonly AutoscalingInput[];
}

/** One preset's share of the snapshot. */
export interface PresetSnapshot {
  readonly preset: PresetRow;
  readonly running: readonly RunningPrebuild[];
  readonly stoppedOrFailed: readonly StoppedOrFailedPrebuild[];
  readonly inProgress: Readonly<Record<Transition, number>>;
  readonly pendingInactive: number;
  readonly backoff: BackoffInput | null;
  readonly failureStreak: FailureStreak | null;
  readonly autoscaling?: AutoscalingInput | null;
}
