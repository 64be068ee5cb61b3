import { canonicalZoneName, zoneOrNull } from './zone.js';
import type { IANAZone } from 'luxon';

/**
 * Parsing of the five-field cron text used by workspace schedules (autostart) and user quiet
 * hours, with an optional `CRON_TZ=<IANA zone>` prefix (default UTC). Minute, hour and day of
 * week take numbers, `*`, lists (`1,3`), ranges (`1-5`) and steps (`*\/15`, `8-18/2`); day of week
 * also takes names (`mon-fri`) and 7 for Sunday.
 */

export type CronPart =
  'format' | 'timezone' | 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';

/** A schedule text that cannot be used; `part` names what is wrong. */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
  constructor(
    readonly part: CronPart,
    readonly reason: string,
    readonly input: string,
  ) {
    super(`schedule "${input}": ${part === 'format' ? '' : `${part}: `}${reason}`);
  }
}

export interface CronText {
  readonly zoneName: string;
  readonly zone: IANAZone;
  /** The five fields as written. */
  readonly fields: readonly [string, string, string, string, string];
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export function splitCron(input: string): CronText {
  const text = input.trim();
  const tokens = text.split(/\s+/).filter((token) => token !== '');
  let zoneName = 'UTC';
  if (tokens[0]?.startsWith('CRON_TZ=')) {
    zoneName = tokens.shift()!.slice('CRON_TZ='.length);
    if (zoneName === '') throw new ScheduleError('timezone', 'CRON_TZ= needs a zone name', input);
  } else if (tokens[0]?.includes('=')) {
    throw new ScheduleError('format', 'the only prefix allowed is CRON_TZ=<zone>', input);
  }
  if (tokens.length !== 5) {
    throw new ScheduleError(
      'format',
      `expected 5 fields (minute hour day-of-month month day-of-week) after the optional CRON_TZ=<zone>, got ${tokens.length}`,
      input,
    );
  }
  const zone = zoneOrNull(zoneName);
  if (!zone) {
    throw new ScheduleError(
      'timezone',
      `"${zoneName}" is not an IANA time zone (examples: UTC, Europe/Berlin, America/New_York)`,
      input,
    );
  }
  return {
    zoneName: canonicalZoneName(zoneName),
    zone,
    fields: tokens as unknown as CronText['fields'],
  };
}

interface FieldSpec {
  readonly part: CronPart;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

export const MINUTE_FIELD: FieldSpec = { part: 'minute', min: 0, max: 59 };
export const HOUR_FIELD: FieldSpec = { part: 'hour', min: 0, max: 23 };
export const DOW_FIELD: FieldSpec = { part: 'day-of-week', min: 0, max: 7, names: DAY_NAMES };

function parseValue(text: string, spec: FieldSpec, input: string): number {
  const name = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (name >= 0) return name;
  if (!/^\d+$/.test(text)) {
    throw new ScheduleError(spec.part, `"${text}" is not a number`, input);
  }
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new ScheduleError(spec.part, `${value} is out of range ${spec.min}-${spec.max}`, input);
  }
  return value;
}

/** The sorted set of values a field matches (day of week: 7 folds into 0 = Sunday). */
export function parseField(text: string, spec: FieldSpec, input: string): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new ScheduleError(spec.part, `empty item in "${text}"`, input);
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === undefined || range === '') {
      throw new ScheduleError(spec.part, `"${item}" is not a value, range or step`, input);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new ScheduleError(spec.part, `step "${stepText}" must be a positive number`, input);
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.part === 'day-of-week' ? 6 : spec.max;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || a === undefined || b === undefined) {
        throw new ScheduleError(spec.part, `"${range}" is not a range`, input);
      }
      from = parseValue(a, spec, input);
      to = parseValue(b, spec, input);
      if (from > to) {
        throw new ScheduleError(spec.part, `range "${range}" runs backwards`, input);
      }
    } else {
      from = parseValue(range, spec, input);
      // "5/15" means from 5 to the end in steps of 15, as in most cron implementations.
      to = stepText === undefined ? from : spec.max;
    }
    for (let value = from; value <= to; value += step) {
      values.add(spec.part === 'day-of-week' && value === 7 ? 0 : value);
    }
  }
  return [...values].sort((a, b) => a - b);
}
