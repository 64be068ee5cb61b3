import { blockedDaysProblem, parseAutostartSchedule, ScheduleError } from './schedule.js';
import type { JobStatus, LifecycleTemplate, Transition } from './types.js';

/** A rejected input: which field and why (the API answers 400 with these). */
export interface FieldProblem {
  readonly field: string;
  readonly reason: string;
}

export type Validated<T> =
  | { readonly ok: true; readonly value: T; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problems: readonly FieldProblem[] };

const fail = <T>(field: string, reason: string): Validated<T> => ({
  ok: false,
  problems: [{ field, reason }],
});
const ok = <T>(value: T, warnings: readonly string[] = []): Validated<T> => ({
  ok: true,
  value,
  warnings,
});

export const TTL_MIN_MS = 60_000;
export const TTL_MAX_MS = 30 * 24 * 3_600_000;
/** An extended deadline must be at least this far ahead. */
export const EXTEND_MIN_AHEAD_MS = 30 * 60_000;

/**
 * A workspace TTL: null (no autostop) or 1 minute to 30 days, truncated to whole minutes.
 * Rejected when the template does not let users choose their autostop.
 */
export function validateTtl(
  ttlMs: number | null,
  template: Pick<LifecycleTemplate, 'allowUserAutostop'>,
  field = 'ttl_ms',
): Validated<number | null> {
  if (!template.allowUserAutostop) {
    return fail(field, 'the template does not allow users to set their autostop (TTL)');
  }
  if (ttlMs === null) return ok(null);
  if (!Number.isSafeInteger(ttlMs)) return fail(field, 'must be a whole number of milliseconds');
  if (ttlMs < TTL_MIN_MS) return fail(field, 'must be at least 1 minute (60000)');
  if (ttlMs > TTL_MAX_MS) return fail(field, 'must be at most 30 days (2592000000)');
  return ok(ttlMs - (ttlMs % 60_000));
}

/**
 * An autostart schedule: null (none) or a weekly cron (see schedule.ts), normalised. A schedule
 * that only fires on days the template blocks is accepted with a warning (the template may change).
 */
export function validateAutostartSchedule(
  text: string | null,
  template: Pick<LifecycleTemplate, 'allowUserAutostart' | 'autostartBlockDaysOfWeek'>,
  field = 'schedule',
): Validated<string | null> {
  if (text === null || text.trim() === '') return ok(null);
  if (!template.allowUserAutostart) {
    return fail(field, 'the template does not allow autostart for its workspaces');
  }
  try {
    const schedule = parseAutostartSchedule(text);
    const problem = blockedDaysProblem(schedule, template);
    return ok(schedule.text, problem ? [problem] : []);
  } catch (error) {
    if (error instanceof ScheduleError) return fail(field, error.message);
    throw error;
  }
}

export interface ExtendTarget {
  readonly transition: Transition;
  readonly jobStatus: JobStatus;
  readonly jobCompletedAt: Date | null;
  readonly deadline: Date | null;
  readonly maxDeadline: Date | null;
}

/**
 * A manual new deadline for the running build: the build must be a succeeded start with a
 * deadline; the new one at least 30 minutes from now, not before the build finished, and not
 * past max_deadline.
 */
export function validateExtend(
  newDeadline: Date,
  build: ExtendTarget | null,
  now: Date,
  field = 'deadline',
): Validated<Date> {
  if (Number.isNaN(newDeadline.getTime())) return fail(field, 'must be an ISO 8601 timestamp');
  if (!build || build.transition !== 'start' || build.jobStatus !== 'succeeded') {
    return fail(field, 'the workspace is not running (its latest build is not a succeeded start)');
  }
  if (build.deadline === null) {
    return fail(field, 'the workspace has no autostop deadline to extend (it stops manually)');
  }
  if (newDeadline.getTime() < now.getTime() + EXTEND_MIN_AHEAD_MS) {
    return fail(field, 'must be at least 30 minutes in the future');
  }
  if (build.jobCompletedAt && newDeadline.getTime() < build.jobCompletedAt.getTime()) {
    return fail(field, 'must not be before the build finished');
  }
  if (build.maxDeadline && newDeadline.getTime() > build.maxDeadline.getTime()) {
    return fail(
      field,
      `must not be after the max deadline ${build.maxDeadline.toISOString()} (the template's autostop requirement)`,
    );
  }
  return ok(newDeadline);
}
