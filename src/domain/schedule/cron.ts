import { type CronFieldProblem, type CronFieldSpec, expandCronField } from '../time/cron-field.js';

/**
 * Parses the five-field cron expressions of prebuild schedules into plain value sets.
 *
 * A prebuild schedule is a range at hour granularity, so the minute field must be `*` and the
 * other four fields decide which local (date, hour) pairs are covered. Parsing ourselves (rather
 * than asking a cron library whether an instant "matches") keeps evaluation exact and lets the
 * overlap check enumerate the fields directly.
 *
 * Field expansion is shared (src/domain/time/cron-field.ts); this module adds the prebuild rules:
 * months accept JAN..DEC, days of week SUN..SAT (case-insensitive), day of week 7 is Sunday and
 * MON-SUN closes at Sunday, `?` is a synonym of `*` in the two day fields, and its own error texts.
 */

export interface CronRange {
  /** The expression as written (trimmed). */
  readonly text: string;
  /** `hours[h]` for h in 0..23. */
  readonly hours: readonly boolean[];
  /** `daysOfMonth[d]` for d in 1..31 (index 0 unused). */
  readonly daysOfMonth: readonly boolean[];
  /** `months[m]` for m in 1..12 (index 0 unused). */
  readonly months: readonly boolean[];
  /** `daysOfWeek[w]` for w in 0..6, 0 = Sunday. */
  readonly daysOfWeek: readonly boolean[];
  /**
   * A day field is restricted unless it is exactly `*` or `?` (as in cron-parser and Vixie cron:
   * `*\/2` and `1-31` are restrictions). When both are restricted a day matches if either does.
   */
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

export type CronParseResult =
  | { readonly ok: true; readonly cron: CronRange }
  | { readonly ok: false; readonly errors: readonly string[] };

interface FieldSpec extends CronFieldSpec {
  readonly label: string;
}

const FIELDS = {
  hour: { label: 'hour', min: 0, max: 23 },
  dayOfMonth: { label: 'day-of-month', min: 1, max: 31, questionMark: true },
  month: {
    label: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
    nameBase: 1,
  },
  // 7 is accepted as Sunday and folded onto 0 after expansion.
  dayOfWeek: {
    label: 'day-of-week',
    min: 0,
    max: 7,
    wildcardMax: 6,
    names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
    nameBase: 0,
    questionMark: true,
    // MON-SUN reads naturally: SUN closes a range that starts later in the week as 7.
    sundayClosesRange: true,
  },
} as const satisfies Record<string, FieldSpec>;

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The longest a month can be (February: 29, counting leap years). */
export function maxDaysInMonth(month: number): number {
  return DAYS_IN_MONTH[month] ?? 0;
}

/** This module's wording of a field problem. */
function describeProblem(problem: CronFieldProblem, spec: FieldSpec): string {
  switch (problem.kind) {
    case 'empty-item':
    case 'missing-base':
      return 'a value is missing';
    case 'extra-slash':
      return `"${problem.item}" has more than one "/"`;
    case 'bad-step':
      return `step "${problem.step}" must be a whole number of at least 1`;
    case 'bad-range':
      return `"${problem.range}" is not a value or a range A-B`;
    case 'not-a-value':
      if (problem.token === '') return 'a value is missing';
      return spec.names
        ? `"${problem.token}" is not a number or a name (${spec.names[0]}..${spec.names[spec.names.length - 1]})`
        : `"${problem.token}" is not a number`;
    case 'out-of-range':
      return `${problem.value} is out of range ${spec.min}-${spec.max}`;
    case 'backwards':
      return `range ${problem.range} goes backwards; split it, for example ${problem.from}-${spec.max},${spec.min}-${problem.to}`;
  }
}

/** Expands one field into the list of values it covers, or an error message. */
function parseField(text: string, spec: FieldSpec): { values: number[] } | { error: string } {
  const result = expandCronField(text, spec);
  if (!result.ok)
    return { error: `${spec.label} field "${text}": ${describeProblem(result.problem, spec)}` };
  return { values: [...result.values] };
}

function toFlags(values: readonly number[], size: number): boolean[] {
  const flags = new Array<boolean>(size).fill(false);
  for (const value of values) flags[value] = true;
  return flags;
}

/** Splits an expression into fields the way cron does (runs of whitespace). */
export function cronFields(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

/**
 * Parses a prebuild schedule expression. Every problem found is returned (one message each),
 * so a config validator can report them all at once.
 */
export function parseCronRange(text: string): CronParseResult {
  const fields = cronFields(text);
  if (fields.length !== 5) {
    return {
      ok: false,
      errors: [
        `must have exactly 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`,
      ],
    };
  }
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const errors: string[] = [];
  if (minute !== '*') errors.push('minute field must be "*"');
  const hours = parseField(hour, FIELDS.hour);
  const doms = parseField(dom, FIELDS.dayOfMonth);
  const months = parseField(month, FIELDS.month);
  const dows = parseField(dow, FIELDS.dayOfWeek);
  for (const field of [hours, doms, months, dows]) {
    if ('error' in field) errors.push(field.error);
  }
  if (
    errors.length > 0 ||
    'error' in hours ||
    'error' in doms ||
    'error' in months ||
    'error' in dows
  ) {
    return { ok: false, errors };
  }
  const cron: CronRange = {
    text: text.trim(),
    hours: toFlags(hours.values, 24),
    daysOfMonth: toFlags(doms.values, 32),
    months: toFlags(months.values, 13),
    daysOfWeek: toFlags(
      dows.values.map((w) => w % 7),
      7,
    ),
    domRestricted: dom !== '*' && dom !== '?',
    dowRestricted: dow !== '*' && dow !== '?',
  };
  if (!matchesSomeDate(cron)) {
    return {
      ok: false,
      errors: ['never matches: no selected month has any of the selected days of the month'],
    };
  }
  return { ok: true, cron };
}

/** The standard cron day rule for one calendar day. */
export function matchesDay(cron: CronRange, month: number, day: number, weekday: number): boolean {
  if (cron.months[month] !== true) return false;
  const dom = cron.daysOfMonth[day] === true;
  const dow = cron.daysOfWeek[weekday] === true;
  return cron.domRestricted && cron.dowRestricted ? dom || dow : dom && dow;
}

/** Whether the range covers local hour `hour` of the given calendar day. */
export function matchesLocal(
  cron: CronRange,
  local: { readonly month: number; readonly day: number; readonly weekday: number; hour: number },
): boolean {
  return cron.hours[local.hour] === true && matchesDay(cron, local.month, local.day, local.weekday);
}

/**
 * Every (month, day) that exists in some year falls on every day of the week in some year
 * (February 29 included), so "some possible date" means any valid (month, day, weekday).
 */
function matchesSomeDate(cron: CronRange): boolean {
  for (let month = 1; month <= 12; month++) {
    for (let day = 1; day <= maxDaysInMonth(month); day++) {
      for (let weekday = 0; weekday < 7; weekday++) {
        if (matchesDay(cron, month, day, weekday)) return true;
      }
    }
  }
  return false;
}
