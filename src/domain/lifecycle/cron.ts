import type { IANAZone } from 'luxon';

import { type CronFieldProblem, expandCronField } from '../time/cron-field.js';
import { canonicalZoneName, zoneOf } from '../time/zone.js';

/**
 * Parsing of the five-field cron text used by workspace schedules (autostart) and user quiet
 * hours, with an optional `CRON_TZ=<IANA zone>` prefix (default UTC). Minute, hour and day of
 * week take numbers, `*`, lists (`1,3`), ranges (`1-5`) and steps (`*\/15`, `8-18/2`); day of week
 * also takes names (`mon-fri`) and 7 for Sunday. Field expansion is shared with prebuild schedules
 * (src/domain/time/cron-field.ts); the rules of which fields may be used and the error texts are
 * this module's.
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
  const zone = zoneOf(zoneName);
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
  readonly wildcardMax?: number;
  readonly names?: readonly string[];
}

export const MINUTE_FIELD: FieldSpec = { part: 'minute', min: 0, max: 59 };
export const HOUR_FIELD: FieldSpec = { part: 'hour', min: 0, max: 23 };
export const DOW_FIELD: FieldSpec = {
  part: 'day-of-week',
  min: 0,
  max: 7,
  wildcardMax: 6,
  names: DAY_NAMES,
};

/** This module's wording of a field problem (the shared expansion only reports what it found). */
function describeProblem(problem: CronFieldProblem, text: string, spec: FieldSpec): string {
  switch (problem.kind) {
    case 'empty-item':
      return `empty item in "${text}"`;
    case 'extra-slash':
    case 'missing-base':
      return `"${problem.item}" is not a value, range or step`;
    case 'bad-step':
      return `step "${problem.step}" must be a positive number`;
    case 'bad-range':
      return `"${problem.range}" is not a range`;
    case 'not-a-value':
      return `"${problem.token}" is not a number`;
    case 'out-of-range':
      return `${problem.value} is out of range ${spec.min}-${spec.max}`;
    case 'backwards':
      return `range "${problem.range}" runs backwards`;
  }
}

/** The sorted set of values a field matches (day of week: 7 folds into 0 = Sunday). */
export function parseField(text: string, spec: FieldSpec, input: string): number[] {
  const result = expandCronField(text, spec);
  if (!result.ok) {
    throw new ScheduleError(spec.part, describeProblem(result.problem, text, spec), input);
  }
  const values = result.values.map((value) => (spec.part === 'day-of-week' ? value % 7 : value));
  return [...new Set(values)].sort((a, b) => a - b);
}
