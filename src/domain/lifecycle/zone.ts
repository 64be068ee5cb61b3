import { IANAZone } from 'luxon';

/**
 * Wall-clock arithmetic in an IANA zone, with one deliberate rule for the two DST anomalies:
 *
 * - a wall time inside a spring-forward gap (02:30 on the night clocks jump 02:00 -> 03:00) does
 *   not exist; it resolves to the instant the clock would have shown it without the jump, i.e.
 *   shifted forward by the gap (03:30 new time). A schedule never silently loses a day.
 * - a wall time inside a fall-back repeat (01:30 happens twice) resolves to its FIRST occurrence;
 *   the second one is not a separate fire.
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A calendar date (no zone): month 1-12. */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export function zoneOrNull(name: string): IANAZone | null {
  if (name === '' || !IANAZone.isValidZone(name)) return null;
  return IANAZone.create(name);
}

/**
 * The spelling to store: the zone's canonical casing ("america/new_york" -> "America/New_York")
 * while keeping the name the user chose (an alias such as "US/Eastern" stays an alias).
 */
export function canonicalZoneName(name: string): string {
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions()
      .timeZone;
    return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
  } catch {
    return name;
  }
}

/** Offset of the zone from UTC at an instant, in minutes. */
export function offsetMinutes(zone: IANAZone, at: number): number {
  return zone.offset(at);
}

/** The local calendar date and time of an instant. */
export function toLocal(
  zone: IANAZone,
  at: number,
): LocalDate & { hour: number; minute: number; weekday: number } {
  const shifted = new Date(at + offsetMinutes(zone, at) * MINUTE);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    weekday: shifted.getUTCDay(),
  };
}

/** 0 = Sunday ... 6 = Saturday (cron numbering). */
export function weekdayOf(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
  };
}

/** Whole calendar days from `a` to `b` (negative when b is earlier). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return Math.round(
    (Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / DAY,
  );
}

/**
 * True when the zone's offset is the same over the whole local day (no DST change that day).
 * Any instant of local day D lies within [D 00:00 - 14h, D 24:00 + 12h] UTC.
 */
export function isRegularDay(zone: IANAZone, date: LocalDate): boolean {
  const naive = Date.UTC(date.year, date.month - 1, date.day);
  return offsetMinutes(zone, naive - 15 * HOUR) === offsetMinutes(zone, naive + 37 * HOUR);
}

/** The instant of a local wall time, resolving DST gaps and repeats as described above. */
export function resolveLocal(
  zone: IANAZone,
  date: LocalDate,
  hour: number,
  minute: number,
): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const before = offsetMinutes(zone, naive - DAY);
  const after = offsetMinutes(zone, naive + DAY);
  const candidates = [...new Set([before, after])]
    .map((offset) => naive - offset * MINUTE)
    .filter((instant) => naive - offsetMinutes(zone, instant) * MINUTE === instant)
    .sort((a, b) => a - b);
  const first = candidates[0];
  if (first !== undefined) return first;
  // In the gap: the pre-transition offset maps the wall time past the jump by the gap's length.
  return naive - before * MINUTE;
}
