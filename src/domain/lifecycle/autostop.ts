import { hasDay } from './days.js';
import { nextQuietHours, parseQuietHours, type QuietHours } from './quiet-hours.js';
import { nextAllowedAutostart, tryParseAutostartSchedule } from './schedule.js';
import type { LifecycleTemplate } from './types.js';
import {
  addDays,
  daysBetween,
  type LocalDate,
  resolveLocal,
  toLocal,
  weekdayOf,
} from '../time/zone.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Started this close to quiet hours, the requirement moves to the next stop day. */
export const AUTOSTOP_REQUIREMENT_LEEWAY_MS = 2 * HOUR;
/** Quiet hours are looked up from this long before the stop day's midnight (autostart at 00:00). */
export const AUTOSTOP_REQUIREMENT_BUFFER_MS = 15 * MINUTE;
/** Week 0 of the every-N-weeks rule: Monday 2023-01-02 in the user's zone, for every user. */
export const AUTOSTOP_REQUIREMENT_EPOCH: LocalDate = { year: 2023, month: 1, day: 2 };

export class AutostopError extends Error {
  override readonly name = 'AutostopError';
}

export interface AutostopInput {
  /** When the build finished (the deadline counts from here). */
  readonly now: Date;
  readonly workspace: { readonly ttlMs: number | null; readonly autostartSchedule: string | null };
  readonly template: Pick<
    LifecycleTemplate,
    | 'allowUserAutostop'
    | 'defaultTtlMs'
    | 'autostopRequirementDaysOfWeek'
    | 'autostopRequirementWeeks'
    | 'autostartBlockDaysOfWeek'
  >;
  /** The owner's quiet hours, or the deployment default when the owner has none. */
  readonly quietHours: string;
}

export interface AutostopTimes {
  /** When the workspace stops unless activity bumps it; null = no autostop. */
  readonly deadline: Date | null;
  /** The latest the deadline may ever be (autostop requirement); null = no limit. */
  readonly maxDeadline: Date | null;
}

/** Weeks since the epoch Monday, counted on calendar days so DST never skips a week. */
export function weeksSinceEpoch(date: LocalDate): number {
  const days = daysBetween(AUTOSTOP_REQUIREMENT_EPOCH, date);
  if (days < 0) {
    throw new AutostopError(
      'the clock is before 2023-01-02: cannot compute the autostop requirement week',
    );
  }
  return Math.floor(days / 7);
}

/** `date` when its week is a multiple of n, else the Monday of the next such week. */
export function nextApplicableMonday(date: LocalDate, weeks: number): LocalDate {
  const week = weeksSinceEpoch(date);
  const remainder = week % weeks;
  if (remainder === 0) return date;
  return addDays(AUTOSTOP_REQUIREMENT_EPOCH, (week + weeks - remainder) * 7);
}

/**
 * max_deadline from the template's autostop requirement (days of week, every N weeks) and the
 * owner's quiet hours: the start of quiet hours on the first required stop day that is more than
 * the leeway (2 h) away.
 */
function requirementMaxDeadline(now: number, quiet: QuietHours, days: number, weeks: number): Date {
  const midnight = (date: LocalDate) => resolveLocal(quiet.zone, date, 0, 0);
  let stopDay: LocalDate = toLocal(quiet.zone, now + AUTOSTOP_REQUIREMENT_LEEWAY_MS);
  stopDay = { year: stopDay.year, month: stopDay.month, day: stopDay.day };
  if (weeks > 1) stopDay = nextApplicableMonday(stopDay, weeks);
  const firstWindow = nextQuietHours(
    quiet,
    new Date(midnight(stopDay) - AUTOSTOP_REQUIREMENT_BUFFER_MS),
  );
  if (firstWindow.getTime() < now + AUTOSTOP_REQUIREMENT_LEEWAY_MS) stopDay = addDays(stopDay, 1);
  let found = false;
  for (let i = 0; i < 7; i += 1) {
    if (hasDay(days, weekdayOf(stopDay))) {
      found = true;
      break;
    }
    stopDay = addDays(stopDay, 1);
  }
  if (!found) throw new AutostopError('the autostop requirement names no day of the week');
  let checkFrom = midnight(stopDay);
  checkFrom = checkFrom < now + HOUR ? now + HOUR : checkFrom - AUTOSTOP_REQUIREMENT_BUFFER_MS;
  return nextQuietHours(quiet, new Date(checkFrom));
}

/**
 * Deadline and max_deadline of a build that finished at `now`:
 * - TTL: the workspace's own, or the template default when users may not set autostop;
 * - when now + TTL passes the next (allowed) autostart, the deadline becomes autostart + TTL, as if
 *   the workspace had been autostarted then;
 * - the template's autostop requirement gives max_deadline (quiet hours, see above), and the
 *   deadline never exceeds it (a build without TTL stops at max_deadline).
 * Throws AutostopError for an unusable configuration or a result in the past.
 */
export function calculateAutostop(input: AutostopInput): AutostopTimes {
  const { template, workspace } = input;
  const now = input.now.getTime();
  const ttl = template.allowUserAutostop
    ? workspace.ttlMs
    : template.defaultTtlMs > 0
      ? template.defaultTtlMs
      : null;
  // A negative TTL can only come from a caller bug; it surfaces as the in-the-past error below.
  let deadline: number | null = ttl !== null && ttl !== 0 ? now + ttl : null;
  if (deadline !== null && ttl !== null && ttl > 0) {
    const schedule = tryParseAutostartSchedule(workspace.autostartSchedule);
    const next = schedule ? nextAllowedAutostart(schedule, input.now, template) : null;
    if (next && deadline > next.getTime()) deadline = next.getTime() + ttl;
  }
  let maxDeadline: number | null = null;
  if (template.autostopRequirementDaysOfWeek !== 0) {
    let quiet: QuietHours;
    try {
      quiet = parseQuietHours(input.quietHours);
    } catch (error) {
      throw new AutostopError(`quiet hours: ${(error as Error).message}`);
    }
    maxDeadline = requirementMaxDeadline(
      now,
      quiet,
      template.autostopRequirementDaysOfWeek,
      Math.max(1, template.autostopRequirementWeeks),
    ).getTime();
  }
  if (maxDeadline !== null && (deadline === null || maxDeadline < deadline)) {
    deadline = maxDeadline;
  }
  if ((deadline !== null && deadline < now) || (maxDeadline !== null && maxDeadline < now)) {
    throw new AutostopError(
      `computed deadline or max_deadline is in the past (deadline=${iso(deadline)}, max_deadline=${iso(maxDeadline)}, now=${iso(now)})`,
    );
  }
  return {
    deadline: deadline === null ? null : new Date(deadline),
    maxDeadline: maxDeadline === null ? null : new Date(maxDeadline),
  };
}

const iso = (ms: number | null) => (ms === null ? 'none' : new Date(ms).toISOString());
