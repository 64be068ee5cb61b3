import { nextAllowedAutostart, tryParseAutostartSchedule } from './schedule.js';
import type { JobStatus, LifecycleTemplate, Transition } from './types.js';

export interface BumpInput {
  readonly now: Date;
  readonly build: {
    readonly transition: Transition;
    readonly jobStatus: JobStatus;
    readonly deadline: Date | null;
    readonly maxDeadline: Date | null;
  };
  readonly workspace: { readonly ttlMs: number | null; readonly autostartSchedule: string | null };
  readonly template: Pick<
    LifecycleTemplate,
    'activityBumpMs' | 'allowUserAutostop' | 'defaultTtlMs' | 'autostartBlockDaysOfWeek'
  >;
}

/** Bumps only happen once this share of the bump has elapsed (saves writes on chatty sessions). */
const BUMP_THRESHOLD = 0.95;

/**
 * The deadline after user activity at `now`, or null when it does not move:
 * - only a succeeded start with a deadline (a workspace without autostop stays manual), and only
 *   when the template's `activity_bump` is on;
 * - the bump is `activity_bump`, except when now + bump would pass the next allowed autostart:
 *   then the deadline becomes autostart + TTL, as if the workspace had been autostarted (only with
 *   a TTL; without one the plain bump applies);
 * - only once 5% of the bump has elapsed (deadline - 0.95 * bump < now);
 * - never earlier than the current deadline, never past max_deadline.
 */
export function activityBumpDeadline(input: BumpInput): Date | null {
  const { build, template, workspace } = input;
  const now = input.now.getTime();
  if (build.transition !== 'start' || build.jobStatus !== 'succeeded') return null;
  if (build.deadline === null || template.activityBumpMs <= 0) return null;
  const ttl = template.allowUserAutostop ? (workspace.ttlMs ?? 0) : template.defaultTtlMs;
  let bump = template.activityBumpMs;
  const schedule = tryParseAutostartSchedule(workspace.autostartSchedule);
  const next = schedule ? nextAllowedAutostart(schedule, input.now, template) : null;
  if (next && ttl > 0 && next.getTime() > now && now + bump > next.getTime()) {
    bump = next.getTime() - now + ttl;
  }
  const deadline = build.deadline.getTime();
  if (!(deadline - BUMP_THRESHOLD * bump < now)) return null;
  let bumped = Math.max(deadline, now + bump);
  if (build.maxDeadline) bumped = Math.min(bumped, build.maxDeadline.getTime());
  return bumped > deadline ? new Date(bumped) : null;
}
