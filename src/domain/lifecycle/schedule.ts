import type { IANAZone } from 'luxon';

import {
  DOW_FIELD,
  HOUR_FIELD,
  MINUTE_FIELD,
  parseField,
  ScheduleError,
  splitCron,
} from './cron.js';
import { dayNamesOf, hasDay } from './days.js';
import {
  addDays,
  isRegularDay,
  type LocalDate,
  resolveLocal,
  toLocal,
  weekdayOf,
} from '../time/zone.js';

/**
 * A workspace autostart schedule: `CRON_TZ=<zone> <minute> <hour> * * <day-of-week>`.
 * Day-of-month and month must be `*` (a weekly schedule); the zone defaults to UTC.
 */
export interface AutostartSchedule {
  /** Normalised text: always with its CRON_TZ= prefix and single spaces. */
  readonly text: string;
  readonly zoneName: string;
  readonly zone: IANAZone;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  /** Cron weekdays, 0 = Sunday. */
  readonly daysOfWeek: readonly number[];
}

export function parseAutostartSchedule(input: string): AutostartSchedule {
  const cron = splitCron(input);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = cron.fields;
  if (dayOfMonth !== '*') {
    throw new ScheduleError('day-of-month', `must be "*" (got "${dayOfMonth}")`, input);
  }
  if (month !== '*') throw new ScheduleError('month', `must be "*" (got "${month}")`, input);
  return {
    text: `CRON_TZ=${cron.zoneName} ${cron.fields.join(' ')}`,
    zoneName: cron.zoneName,
    zone: cron.zone,
    minutes: parseField(minute, MINUTE_FIELD, input),
    hours: parseField(hour, HOUR_FIELD, input),
    daysOfWeek: parseField(dayOfWeek, DOW_FIELD, input),
  };
}

/** Parses or returns null (a stored schedule that became invalid never crashes a decision). */
export function tryParseAutostartSchedule(input: string | null): AutostartSchedule | null {
  if (input === null || input.trim() === '') return null;
  try {
    return parseAutostartSchedule(input);
  } catch {
    return null;
  }
}

/**
 * The first fire strictly after `after`, considering only the given weekdays (judged on the
 * schedule's own local calendar). DST: see zone.ts (gap times shift forward, repeated times fire
 * at their first occurrence only).
 */
function nextFire(schedule: AutostartSchedule, days: readonly number[], after: Date): Date | null {
  if (days.length === 0) return null;
  const from = after.getTime();
  const start = toLocal(schedule.zone, from);
  // A matching weekday comes within 7 days; 14 leaves room for zones that skipped a whole day.
  for (let offset = 0; offset <= 14; offset += 1) {
    const date: LocalDate = addDays(start, offset);
    if (!days.includes(weekdayOf(date))) continue;
    const regular = isRegularDay(schedule.zone, date);
    let best: number | null = null;
    for (const hour of schedule.hours) {
      for (const minute of schedule.minutes) {
        const instant = resolveLocal(schedule.zone, date, hour, minute);
        if (instant > from && (best === null || instant < best)) best = instant;
      }
      // On a day without a DST change, instants grow with the wall time: the first hit is the min.
      if (regular && best !== null) break;
    }
    if (best !== null) return new Date(best);
  }
  return null;
}

/** The next autostart strictly after `after` (template day rules not applied). */
export function nextAutostart(schedule: AutostartSchedule, after: Date): Date | null {
  return nextFire(schedule, schedule.daysOfWeek, after);
}

/**
 * The next autostart strictly after `after` on a day the template allows
 * (`autostart_block_days_of_week`, bit 0 = Monday), the day judged in the schedule's zone.
 * Null when the schedule only fires on blocked days.
 */
export function nextAllowedAutostart(
  schedule: AutostartSchedule,
  after: Date,
  template: { readonly autostartBlockDaysOfWeek: number },
): Date | null {
  const allowed = schedule.daysOfWeek.filter(
    (day) => !hasDay(template.autostartBlockDaysOfWeek, day),
  );
  return nextFire(schedule, allowed, after);
}

/** Whether the schedule fires on at least one day the template allows. */
export function blockedDaysProblem(
  schedule: AutostartSchedule,
  template: { readonly autostartBlockDaysOfWeek: number },
): string | null {
  const allowed = schedule.daysOfWeek.filter(
    (day) => !hasDay(template.autostartBlockDaysOfWeek, day),
  );
  if (allowed.length > 0) return null;
  return `the schedule only fires on days the template blocks for autostart (${dayNamesOf(
    template.autostartBlockDaysOfWeek,
  ).join(', ')})`;
}

/** Re-export for callers that only need the error type. */
export { ScheduleError } from './cron.js';
