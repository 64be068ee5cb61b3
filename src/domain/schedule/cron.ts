/**
 * Parses the five-field cron expressions of prebuild schedules into plain value sets.
 *
 * A prebuild schedule is a range at hour granularity, so the minute field must be `*` and the
 * other four fields decide which local (date, hour) pairs are covered. Parsing ourselves (rather
 * than asking a cron library whether an instant "matches") keeps evaluation exact and lets the
 * overlap check enumerate the fields directly.
 *
 * Grammar per field: a comma list of `*`, `N`, `A-B`, each optionally followed by `/STEP`
 * (`A/STEP` means A to the field's maximum). Months accept JAN..DEC, days of week SUN..SAT
 * (case-insensitive); day of week 7 is Sunday. `?` is a synonym of `*` in the two day fields.
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

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Offset of names[0]: JAN = 1, SUN = 0. */
  readonly nameBase?: number;
  readonly questionMark?: boolean;
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
    names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
    nameBase: 0,
    questionMark: true,
  },
} as const satisfies Record<string, FieldSpec>;

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The longest a month can be (February: 29, counting leap years). */
export function maxDaysInMonth(month: number): number {
  return DAYS_IN_MONTH[month] ?? 0;
}

function parseValue(token: string, spec: FieldSpec): number | string {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < spec.min || value > spec.max) {
      return `${value} is out of range ${spec.min}-${spec.max}`;
    }
    return value;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return index + (spec.nameBase ?? 0);
  if (token === '') return 'a value is missing';
  return spec.names
    ? `"${token}" is not a number or a name (${spec.names[0]}..${spec.names[spec.names.length - 1]})`
    : `"${token}" is not a number`;
}

/** Expands one field into the list of values it covers, or an error message. */
function parseField(text: string, spec: FieldSpec): { values: number[] } | { error: string } {
  const values = new Set<number>();
  const fail = (why: string) => ({ error: `${spec.label} field "${text}": ${why}` });
  for (const part of text.split(',')) {
    const [base = '', stepText, ...extra] = part.split('/');
    if (extra.length > 0) return fail(`"${part}" has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        return fail(`step "${stepText}" must be a whole number of at least 1`);
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (base === '*' || (base === '?' && spec.questionMark === true)) {
      from = spec.min;
      to = spec === FIELDS.dayOfWeek ? 6 : spec.max;
    } else {
      const bounds = base.split('-');
      if (bounds.length > 2) return fail(`"${base}" is not a value or a range A-B`);
      const start = parseValue(bounds[0] ?? '', spec);
      if (typeof start === 'string') return fail(start);
      from = start;
      if (bounds.length === 2) {
        let end = parseValue(bounds[1] ?? '', spec);
        if (typeof end === 'string') return fail(end);
        // MON-SUN reads naturally: SUN closes a range that starts later in the week as 7.
        if (spec === FIELDS.dayOfWeek && end === 0 && from > 0 && /^sun$/i.test(bounds[1] ?? '')) {
          end = 7;
        }
        if (end < from) {
          return fail(
            `range ${base} goes backwards; split it, for example ${from}-${spec.max},${spec.min}-${end}`,
          );
        }
        to = end;
      } else {
        to = stepText === undefined ? from : spec.max;
      }
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return { values: [...values] };
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
