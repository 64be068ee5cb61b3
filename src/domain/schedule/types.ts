/**
 * A preset's prebuild pool configuration as stored: the default count, the IANA timezone the
 * schedules are read in, and the schedules in config order (the first match wins).
 */
export interface PrebuildScheduleConfig {
  readonly instances: number;
  readonly timezone: string;
  readonly schedules: readonly PrebuildSchedule[];
}

export interface PrebuildSchedule {
  /** Five cron fields, minute `*`: a continuous range at hour granularity in `timezone`. */
  readonly cron: string;
  readonly instances: number;
}

/** What the schedules ask for at an instant. */
export interface DesiredResult {
  /** The desired pool size. */
  readonly desired: number;
  /** Index of the matching schedule, or null when `instances` applies. */
  readonly schedule: number | null;
  /**
   * Set when the stored configuration is invalid (bad timezone or cron, overlaps): the result then
   * falls back to `instances` and callers report this reason (log, status, metric).
   */
  readonly error?: string;
}

/** Resolves the desired count; the reconciler takes it as a parameter so it stays pure. */
export type DesiredResolver = (config: PrebuildScheduleConfig, at: Date) => DesiredResult;
