import type { IANAZone } from 'luxon';

import {
  DOW_FIELD,
  HOUR_FIELD,
  MINUTE_FIELD,
  parseField,
  ScheduleError,
  splitCron,
} from './cron.js';
import { addDays, type LocalDate, resolveLocal, toLocal } from '../time/zone.js';

/** The deployment default when a user has not chosen quiet hours. */
export const DEFAULT_QUIET_HOURS = 'CRON_TZ=UTC 0 0 * * *';

/**
 * A user's quiet hours: a daily cron `CRON_TZ=<zone> <minute> <hour> * * *` naming ONE time of
 * day, the start of the window in which a template's autostop requirement stops workspaces.
 */
export interface QuietHours {
  readonly text: string;
  readonly zoneName: string;
  readonly zone: IANAZone;
  readonly hour: number;
  readonly minute: number;
}

export function parseQuietHours(input: string): QuietHours {
  const cron = splitCron(input);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = cron.fields;
  for (const [part, value] of [
    ['day-of-month', dayOfMonth],
    ['month', month],
    ['day-of-week', dayOfWeek],
  ] as const) {
    if (value !== '*') {
      throw new ScheduleError(
        part,
        `must be "*" in a daily quiet-hours schedule (got "${value}")`,
        input,
      );
    }
  }
  const minutes = parseField(minute, MINUTE_FIELD, input);
  const hours = parseField(hour, HOUR_FIELD, input);
  if (minutes.length !== 1 || hours.length !== 1) {
    throw new ScheduleError(
      minutes.length !== 1 ? 'minute' : 'hour',
      'quiet hours name exactly one time of day (for example "0 22" for 22:00)',
      input,
    );
  }
  // Only validated here: a range in day-of-week is already rejected above.
  parseField(dayOfWeek, DOW_FIELD, input);
  return {
    text: `CRON_TZ=${cron.zoneName} ${cron.fields.join(' ')}`,
    zoneName: cron.zoneName,
    zone: cron.zone,
    hour: hours[0] as number,
    minute: minutes[0] as number,
  };
}

/** The instant quiet hours start on a local date (DST rules of zone.ts). */
export function quietHoursOn(quiet: QuietHours, date: LocalDate): Date {
  return new Date(resolveLocal(quiet.zone, date, quiet.hour, quiet.minute));
}

/** The first start of quiet hours strictly after `after`. */
export function nextQuietHours(quiet: QuietHours, after: Date): Date {
  const start = toLocal(quiet.zone, after.getTime());
  for (let offset = 0; ; offset += 1) {
    const at = quietHoursOn(quiet, addDays(start, offset));
    if (at.getTime() > after.getTime()) return at;
  }
}
