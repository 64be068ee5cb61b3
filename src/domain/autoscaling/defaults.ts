import type { AutoscalingSettings, PoolCounts } from './types.js';

/** PREBUILD_CONTROLLER_AUTOSCALING_MAX_TARGET's default: no policy asks for more prebuilds. */
export const DEFAULT_MAX_TARGET = 100;

/** Lead time of `lead_time: auto` while too few prebuilds were measured: 2 minutes. */
export const DEFAULT_LEAD_TIME_MS = 2 * 60_000;

export const DEFAULT_AUTOSCALING_SETTINGS: AutoscalingSettings = {
  maxTarget: DEFAULT_MAX_TARGET,
  defaultLeadTimeMs: DEFAULT_LEAD_TIME_MS,
};

/** A pool with nothing in it. */
export const EMPTY_POOL_COUNTS: PoolCounts = {
  running: 0,
  eligible: 0,
  starting: 0,
  stopping: 0,
  deleting: 0,
  expired: 0,
};
