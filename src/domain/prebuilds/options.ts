import type { AutoscalingSettings } from '../autoscaling/types.js';

/** Tunables of the reconciler's decision; every duration is milliseconds. */
export interface PrebuildOptions {
  /** Wait after the first creation failure; doubles with each further failure. */
  readonly backoffBaseMs: number;
  /** The longest backoff wait. */
  readonly backoffCapMs: number;
  /** Creation failures older than this are forgotten. */
  readonly backoffLookbackMs: number;
  /** Creation stops after this many consecutive failed creation builds; 0 = never. */
  readonly failureHardLimit: number;
  /** Stopped or failed prebuilds are deleted this long after their last build finished. */
  readonly cleanupGraceMs: number;
  /**
   * A prebuild whose delete failed this many times in a row is no longer retried (one
   * notification); 0 = retry forever. Retries wait base x 2^(failures - 1), capped (the backoff).
   */
  readonly deleteRetryLimit: number;
  /** Bounds of autoscaling policies; absent = DEFAULT_AUTOSCALING_SETTINGS. */
  readonly autoscaling?: AutoscalingSettings;
}

export const DEFAULT_PREBUILD_OPTIONS: PrebuildOptions = Object.freeze({
  backoffBaseMs: 60_000,
  backoffCapMs: 30 * 60_000,
  backoffLookbackMs: 60 * 60_000,
  failureHardLimit: 3,
  cleanupGraceMs: 60 * 60_000,
  deleteRetryLimit: 5,
});

/** Problems with a set of options, each naming the field; empty when they are usable. */
export function validatePrebuildOptions(options: PrebuildOptions): string[] {
  const problems: string[] = [];
  const check = (field: keyof PrebuildOptions, ok: boolean, message: string) => {
    if (!ok) problems.push(`${field}: ${message}`);
  };
  const counts = [
    'backoffBaseMs',
    'backoffCapMs',
    'backoffLookbackMs',
    'failureHardLimit',
    'cleanupGraceMs',
  ] as const;
  for (const field of counts) {
    const value = options[field];
    check(field, Number.isSafeInteger(value) && value >= 0, 'must be a whole number >= 0');
  }
  check('backoffBaseMs', options.backoffBaseMs > 0, 'must be greater than 0');
  check(
    'backoffCapMs',
    options.backoffCapMs >= options.backoffBaseMs,
    'must be at least backoffBaseMs',
  );
  return problems;
}
