import { type CronRange, matchesDay, maxDaysInMonth, parseCronRange } from './cron.js';
import { zoneOf } from '../time/zone.js';

/**
 * Validation shared by the template config validator (at push) and by the evaluator (at run
 * time, on stored data). Paths are relative to a preset's `scheduling` object.
 */

export type IssuePath = readonly (string | number)[];

export interface ScheduleIssue {
  readonly path: IssuePath;
  readonly message: string;
}

export interface ScheduleInput {
  readonly cron: string;
  readonly instances: number;
}

/** undefined when luxon knows the zone; otherwise why not. */
export function timezoneProblem(timezone: string): string | undefined {
  if (timezone.trim() === '') {
    return 'required when there are schedules: an IANA time zone such as "UTC" or "Europe/Berlin"';
  }
  return zoneOf(timezone) === null
    ? `"${timezone}" is not an IANA time zone (examples: UTC, Europe/Berlin, America/New_York)`
    : undefined;
}

/** A local hour of a calendar day that two ranges both cover. */
export interface OverlapWitness {
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  readonly hour: number;
}

/**
 * The first local (month, day, weekday, hour) both ranges cover, or null. Exact: every valid
 * (month, day) falls on every weekday in some year (February 29 included), so enumerating
 * 12 x 31 x 7 day shapes covers every possible date.
 */
export function findOverlap(a: CronRange, b: CronRange): OverlapWitness | null {
  const hour = a.hours.findIndex((covered, h) => covered && b.hours[h] === true);
  if (hour < 0) return null;
  for (let month = 1; month <= 12; month++) {
    for (let day = 1; day <= maxDaysInMonth(month); day++) {
      for (let weekday = 0; weekday < 7; weekday++) {
        if (matchesDay(a, month, day, weekday) && matchesDay(b, month, day, weekday)) {
          return { month, day, weekday, hour };
        }
      }
    }
  }
  return null;
}

const MONTHS = [
  '',
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function describeWitness(w: OverlapWitness): string {
  const hh = String(w.hour).padStart(2, '0');
  return `${WEEKDAYS[w.weekday]}, ${MONTHS[w.month]} ${w.day}, ${hh}:00-${hh}:59 local time`;
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/**
 * Every problem with a timezone and its schedules: each cron on its own (5 fields, minute `*`,
 * parsable, can match), the timezone, instance counts, and each overlapping pair (reported on
 * the later schedule, naming both expressions).
 */
export function checkSchedules(
  timezone: string | undefined,
  schedules: readonly (ScheduleInput | undefined)[],
): { issues: ScheduleIssue[]; crons: (CronRange | undefined)[] } {
  const issues: ScheduleIssue[] = [];
  if (schedules.length > 0 && timezone !== undefined) {
    const problem = timezoneProblem(timezone);
    if (problem) issues.push({ path: ['timezone'], message: problem });
  }
  const crons = schedules.map((schedule, index) => {
    if (schedule === undefined) return undefined;
    if (!isCount(schedule.instances)) {
      issues.push({
        path: ['schedule', index, 'instances'],
        message: 'must be a whole number of at least 0',
      });
    }
    const parsed = parseCronRange(schedule.cron);
    if (!parsed.ok) {
      for (const message of parsed.errors) {
        issues.push({ path: ['schedule', index, 'cron'], message });
      }
      return undefined;
    }
    return parsed.cron;
  });
  for (let later = 1; later < crons.length; later++) {
    const b = crons[later];
    if (!b) continue;
    for (let earlier = 0; earlier < later; earlier++) {
      const a = crons[earlier];
      if (!a) continue;
      const witness = findOverlap(a, b);
      if (witness) {
        issues.push({
          path: ['schedule', later, 'cron'],
          message: `"${b.text}" overlaps "${a.text}" (schedule[${earlier}]): both cover ${describeWitness(witness)}`,
        });
      }
    }
  }
  return { issues, crons };
}

/** Renders a relative path the way the config validator does: `schedule[1].cron`. */
export function formatPath(path: IssuePath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}
