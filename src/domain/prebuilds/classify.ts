import { formatDuration } from '../../util/duration.js';
import { backoffDelayMs } from './backoff.js';
import { expiryReason } from './expiry.js';
import type { PrebuildOptions } from './options.js';
import type { PresetSnapshot, RunningPrebuild, StoppedOrFailedPrebuild } from './types.js';

export interface Expired {
  readonly prebuild: RunningPrebuild;
  readonly reason: string;
}

export interface CleanupDue {
  readonly prebuild: StoppedOrFailedPrebuild;
  readonly reason: string;
}

/** A prebuild whose delete failed: retried at `retryAt`, or never again (`retryAt` null). */
export interface FailedDelete {
  readonly prebuild: StoppedOrFailedPrebuild;
  readonly failures: number;
  /** When the next delete is due (after the backoff); null once the retry limit is reached. */
  readonly retryAt: Date | null;
}

export interface Classified {
  /** Running and not expired. */
  readonly valid: readonly RunningPrebuild[];
  readonly expired: readonly Expired[];
  /** Stopped or failed, past the grace period (a failed delete: past its backoff). */
  readonly cleanupDue: readonly CleanupDue[];
  /** Failed deletes not retried now: backing off, or given up at the retry limit. */
  readonly failedDeletes: readonly FailedDelete[];
}

type ClassifyOptions = Pick<
  PrebuildOptions,
  'cleanupGraceMs' | 'backoffBaseMs' | 'backoffCapMs' | 'deleteRetryLimit'
>;

/** Oldest first; the id breaks ties so every decision is deterministic. */
export function oldestFirst<T extends { createdAt: Date; id: string }>(a: T, b: T): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function cleanupReason(prebuild: StoppedOrFailedPrebuild, graceMs: number): string {
  const at = prebuild.completedAt.toISOString();
  const grace = `grace period ${formatDuration(graceMs)} passed`;
  if (prebuild.jobStatus === 'succeeded') return `stopped since ${at}; ${grace}`;
  return `${prebuild.transition} build ${prebuild.jobStatus} at ${at}; ${grace}`;
}

/**
 * When a prebuild whose delete failed `failures` times in a row may be deleted again: the
 * creation backoff's schedule from the last failure (base, 2 x base, ... capped), or null once
 * `deleteRetryLimit` failures are reached (0 = no limit).
 */
export function deleteRetryAt(
  completedAt: Date,
  failures: number,
  options: Pick<PrebuildOptions, 'backoffBaseMs' | 'backoffCapMs' | 'deleteRetryLimit'>,
): Date | null {
  if (options.deleteRetryLimit > 0 && failures >= options.deleteRetryLimit) return null;
  const wait = backoffDelayMs(failures, options.backoffBaseMs, options.backoffCapMs);
  return new Date(completedAt.getTime() + wait);
}

/**
 * Sorts a preset's prebuilds into valid, expired and due for cleanup, each oldest first. A
 * prebuild whose delete failed is due again after the backoff (not the grace period), and never
 * past the retry limit.
 */
export function classify(ps: PresetSnapshot, now: Date, options: ClassifyOptions): Classified {
  const { cleanupGraceMs } = options;
  const valid: RunningPrebuild[] = [];
  const expired: Expired[] = [];
  for (const prebuild of [...ps.running].sort(oldestFirst)) {
    const reason = expiryReason(ps.preset, prebuild, now);
    if (reason === null) valid.push(prebuild);
    else expired.push({ prebuild, reason });
  }
  // The snapshot query already applies the grace period; checking again keeps the rule true for
  // any snapshot, and lets status load all stopped or failed prebuilds if it wants to.
  const cutoff = now.getTime() - cleanupGraceMs;
  const cleanupDue: CleanupDue[] = [];
  const failedDeletes: FailedDelete[] = [];
  for (const prebuild of [...ps.stoppedOrFailed].sort(oldestFirst)) {
    const failures = prebuild.failedDeletes ?? 0;
    if (failures > 0) {
      const retryAt = deleteRetryAt(prebuild.completedAt, failures, options);
      if (retryAt !== null && retryAt.getTime() <= now.getTime()) {
        const times = failures === 1 ? 'once' : `${failures} times in a row`;
        cleanupDue.push({
          prebuild,
          reason: `delete failed ${times}, the last at ${prebuild.completedAt.toISOString()}; retrying after the backoff`,
        });
      } else {
        failedDeletes.push({ prebuild, failures, retryAt });
      }
    } else if (prebuild.completedAt.getTime() < cutoff) {
      cleanupDue.push({ prebuild, reason: cleanupReason(prebuild, cleanupGraceMs) });
    }
  }
  return { valid, expired, cleanupDue, failedDeletes };
}
