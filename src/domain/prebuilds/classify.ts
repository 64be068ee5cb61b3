import { formatDuration } from '../../util/duration.js';
import { expiryReason } from './expiry.js';
import type { PresetSnapshot, RunningPrebuild, StoppedOrFailedPrebuild } from './types.js';

export interface Expired {
  readonly prebuild: RunningPrebuild;
  readonly reason: string;
}

export interface CleanupDue {
  readonly prebuild: StoppedOrFailedPrebuild;
  readonly reason: string;
}

export interface Classified {
  /** Running and not expired. */
  readonly valid: readonly RunningPrebuild[];
  readonly expired: readonly Expired[];
  /** Stopped or failed, past the grace period. */
  readonly cleanupDue: readonly CleanupDue[];
}

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

/** Sorts a preset's prebuilds into valid, expired and due for cleanup, each oldest first. */
export function classify(ps: PresetSnapshot, now: Date, cleanupGraceMs: number): Classified {
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
  const cleanupDue = [...ps.stoppedOrFailed]
    .filter((prebuild) => prebuild.completedAt.getTime() < cutoff)
    .sort(oldestFirst)
    .map((prebuild) => ({ prebuild, reason: cleanupReason(prebuild, cleanupGraceMs) }));
  return { valid, expired, cleanupDue };
}
