import { CronExpressionParser } from 'cron-parser';
import { DateTime, IANAZone } from 'luxon';

/**
 * The schedule arithmetic a completed build needs: pure functions of their inputs and `now`.
 * The lifecycle engineer owns the canonical versions (src/domain/lifecycle); these follow the same
 * rules (Coder's CalculateAutostop / NextAllowedAutostart) so the two can be swapped.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Coder's deployment default quiet hours: midnight UTC. */
export const DEFAULT_QUIET_HOURS = 'CRON_TZ=UTC 0 0 * * *';
/** Don't pick today's quiet hours when they start within this much of now. */
const AUTOSTOP_REQUIREMENT_LEEWAY = 2 * HOUR;
const AUTOSTOP_REQUIREMENT_BUFFER = 15 * 60_000;

export interface ZonedCron {
  readonly zone: string;
  readonly expression: string;
}

/** Splits `CRON_TZ=<zone> m h dom mon dow` (or `TZ=`, or no prefix = UTC); undefined when invalid. */
export function parseZonedCron(schedule: string): ZonedCron | undefined {
  const match = /^\s*(?:(?:CRON_TZ|TZ)=(\S+)\s+)?(.*)$/.exec(schedule);
  const zone = match?.[1] ?? 'UTC';
  const expression = (match?.[2] ?? '').trim();
  if (expression.split(/\s+/).length !== 5 || !IANAZone.isValidZone(zone)) return undefined;
  try {
    CronExpressionParser.parse(expression, { tz: zone });
  } catch {
    return undefined;
  }
  return { zone, expression };
}

/** The first fire strictly after `after`, truncated to the minute. */
function nextFire(cron: ZonedCron, after: Date): Date {
  const expr = CronExpressionParser.parse(cron.expression, { tz: cron.zone, currentDate: after });
  const next = expr.next().getTime();
  return new Date(next - (next % 60_000));
}

/** Weekday bit of an instant in a zone: bit 0 = Monday ... bit 6 = Sunday. */
function weekdayBit(at: Date, zone: string): number {
  return 1 << (DateTime.fromJSDate(at, { zone }).weekday - 1);
}

/**
 * The next autostart of a workspace: the next fire of its `CRON_TZ=<zone> ...` schedule that
 * does not fall on a day the template blocks (bitmap, bit 0 = Monday, judged in the schedule's
 * zone), looking at most one week of fires ahead. null when there is no schedule, it is invalid,
 * or every fire in the week is blocked.
 */
export function nextStartAtFromAutostartSchedule(
  schedule: string | null,
  blockedDaysOfWeek: number,
  now: Date,
): Date | null {
  if (!schedule) return null;
  const cron = parseZonedCron(schedule);
  if (!cron) return null;
  let candidate = now;
  while (candidate.getTime() - now.getTime() < 7 * DAY) {
    candidate = nextFire(cron, candidate);
    if ((blockedDaysOfWeek & weekdayBit(candidate, cron.zone)) === 0) return candidate;
  }
  return null;
}

export interface AutostopRequirement {
  /** Days on which the workspace must stop during the owner's quiet hours (bit 0 = Monday). */
  readonly daysOfWeek: number;
  /** Only every n-th week, counted from Monday 2023-01-02 in the quiet hours' zone. */
  readonly weeks: number;
}

/** Whole calendar days between two local dates (immune to DST: counted on the calendar). */
function calendarDays(from: DateTime, to: DateTime): number {
  const a = Date.UTC(from.year, from.month - 1, from.day);
  const b = Date.UTC(to.year, to.month - 1, to.day);
  return Math.round((b - a) / DAY);
}

/**
 * max_deadline from the template's autostop requirement: the owner's quiet hours on the next
 * required day (and applicable week), at least 2 hours away. null when the template has no
 * requirement days or the quiet hours schedule is invalid.
 */
export function maxDeadlineFromAutostopRequirement(
  requirement: AutostopRequirement,
  quietHoursSchedule: string,
  now: Date,
): Date | null {
  if ((requirement.daysOfWeek & 0x7f) === 0) return null;
  const quiet = parseZonedCron(
    quietHoursSchedule === '' ? DEFAULT_QUIET_HOURS : quietHoursSchedule,
  );
  if (!quiet) return null;
  const zone = quiet.zone;
  const local = DateTime.fromJSDate(now, { zone });
  let stopDay = local.plus({ milliseconds: AUTOSTOP_REQUIREMENT_LEEWAY }).startOf('day');

  if (requirement.weeks > 1) {
    const epoch = DateTime.fromObject({ year: 2023, month: 1, day: 2 }, { zone });
    const weeksSinceEpoch = Math.floor(calendarDays(epoch, stopDay) / 7);
    const remainder =
      ((weeksSinceEpoch % requirement.weeks) + requirement.weeks) % requirement.weeks;
    if (remainder !== 0) {
      stopDay = stopDay
        .plus({ days: (requirement.weeks - remainder) * 7 })
        .startOf('week')
        .startOf('day');
    }
  }

  // Today's quiet hours starting within the leeway are too soon: the stop moves to the next day.
  const firstQuiet = nextFire(quiet, new Date(stopDay.toMillis() - AUTOSTOP_REQUIREMENT_BUFFER));
  if (firstQuiet.getTime() < now.getTime() + AUTOSTOP_REQUIREMENT_LEEWAY) {
    stopDay = stopDay.plus({ days: 1 }).startOf('day');
  }

  let found = false;
  for (let i = 0; i < 7; i++) {
    if ((requirement.daysOfWeek & (1 << (stopDay.weekday - 1))) !== 0) {
      found = true;
      break;
    }
    stopDay = stopDay.plus({ days: 1 }).startOf('day');
  }
  if (!found) return null;

  let check = stopDay.toMillis();
  if (check < now.getTime() + HOUR) check = now.getTime() + HOUR;
  else check -= AUTOSTOP_REQUIREMENT_BUFFER;
  return nextFire(quiet, new Date(check));
}

export interface BuildDeadlineInput {
  /** The workspace's TTL in ms (null = none). */
  readonly workspaceTtlMs: number | null;
  readonly allowUserAutostop: boolean;
  readonly templateDefaultTtlMs: number;
  readonly autostartSchedule: string | null;
  readonly autostartBlockedDaysOfWeek: number;
  readonly requirement: AutostopRequirement;
  readonly quietHoursSchedule: string;
  readonly now: Date;
}

/**
 * deadline and max_deadline of a successful start build (Coder's CalculateAutostop):
 * deadline = now + TTL (the template default when users may not set their own); when the next
 * autostart comes before that, the deadline runs from that autostart instead; max_deadline from
 * the autostop requirement caps the deadline (and is the deadline when there is no TTL).
 */
export function buildDeadline(input: BuildDeadlineInput): {
  deadline: Date | null;
  maxDeadline: Date | null;
} {
  const ttl = input.allowUserAutostop
    ? input.workspaceTtlMs
    : input.templateDefaultTtlMs > 0
      ? input.templateDefaultTtlMs
      : null;
  let deadline: Date | null = null;
  if (ttl !== null && ttl > 0) {
    deadline = new Date(input.now.getTime() + ttl);
    const nextStart = nextStartAtFromAutostartSchedule(
      input.autostartSchedule,
      input.autostartBlockedDaysOfWeek,
      input.now,
    );
    if (nextStart && deadline.getTime() > nextStart.getTime()) {
      deadline = new Date(nextStart.getTime() + ttl);
    }
  }
  const maxDeadline = maxDeadlineFromAutostopRequirement(
    input.requirement,
    input.quietHoursSchedule,
    input.now,
  );
  if (maxDeadline && (!deadline || maxDeadline.getTime() < deadline.getTime())) {
    deadline = maxDeadline;
  }
  return { deadline, maxDeadline };
}
