import { IANAZone } from 'luxon';

/**
 * Wall-clock arithmetic in an IANA zone, shared by prebuild schedules and the workspace lifecycle.
 * Everything derives from the zone's UTC offset at an instant: the local date-time is the instant
 * shifted by that offset. Wall times that do not exist or happen twice around a DST change are
 * resolved by `resolveLocal` (one deliberate rule, documented there).
 */

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A calendar date (no zone): month 1-12. */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** A local calendar date and time of day. `weekday`: 0 = Sunday .. 6 = Saturday (cron numbering). */
export interface LocalDateTime extends LocalDate {
  readonly weekday: number;
  readonly hour: number;
  readonly minute: number;
}

const zones = new Map<string, IANAZone | null>();

/** The zone for an IANA name, or null when luxon (and so ICU) does not know it. Cached. */
export function zoneOf(name: string): IANAZone | null {
  let zone = zones.get(name);
  if (zone === undefined) {
    const created = name.trim() === '' ? null : IANAZone.create(name);
    zone = created?.isValid === true ? created : null;
    if (zones.size > 1000) zones.clear();
    zones.set(name, zone);
  }
  return zone;
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

const rawOffsetMs = (zone: IANAZone, at: number) => Math.round(zone.offset(at) * MINUTE);

/**
 * Offsets are cached per zone and 15-minute span of UTC, a span cached only when the offset at
 * its first and last millisecond agree: then no transition falls inside it (two transitions
 * within 15 minutes exist in no zone), and every instant of the span has that offset. A span
 * with a transition is computed every time. luxon asks ICU for every offset (formatToParts), and
 * evaluating the schedules of 1,000 presets in each reconcile pass made that 12% of the
 * controller's CPU at 100k workspaces.
 */
const OFFSET_SPAN = 15 * MINUTE;
const MAX_CACHED_SPANS = 50_000;
const offsetSpans = new WeakMap<IANAZone, Map<number, number>>();

/** Offset of the zone from UTC at an instant, in milliseconds (LMT seconds rounded away). */
export function offsetMs(zone: IANAZone, at: number): number {
  const span = Math.floor(at / OFFSET_SPAN);
  let spans = offsetSpans.get(zone);
  if (!spans) {
    spans = new Map();
    offsetSpans.set(zone, spans);
  }
  const cached = spans.get(span);
  if (cached !== undefined) return cached;
  const offset = rawOffsetMs(zone, at);
  const start = span * OFFSET_SPAN;
  if (
    rawOffsetMs(zone, start) === offset &&
    rawOffsetMs(zone, start + OFFSET_SPAN - 1) === offset
  ) {
    if (spans.size >= MAX_CACHED_SPANS) spans.clear();
    spans.set(span, offset);
  }
  return offset;
}

/** Offset of the zone from UTC at an instant, in minutes. */
export function offsetMinutes(zone: IANAZone, at: number): number {
  return offsetMs(zone, at) / MINUTE;
}

/** The instant shifted by the zone's offset: local wall-clock time as if it were UTC. */
export function localMs(zone: IANAZone, at: number): number {
  return at + offsetMs(zone, at);
}

/** Calendar fields of a local wall-clock time (a value from `localMs`). */
export function localFields(local: number): LocalDateTime {
  const date = new Date(local);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    weekday: date.getUTCDay(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
  };
}

/** The local calendar date and time of an instant. */
export function toLocal(zone: IANAZone, at: number): LocalDateTime {
  return localFields(localMs(zone, at));
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

/** Whole calendar days from `a` to `b` (negative when b is earlier); DST never shifts it. */
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
  return offsetMs(zone, naive - 15 * HOUR) === offsetMs(zone, naive + 37 * HOUR);
}

/**
 * The instant of a local wall time, with one rule for the two DST anomalies:
 * - a wall time inside a spring-forward gap (02:30 on the night clocks jump 02:00 -> 03:00) does
 *   not exist; it resolves to the instant the clock would have shown it without the jump, i.e.
 *   shifted forward by the gap (03:30 new time), so a schedule never silently loses a day;
 * - a wall time inside a fall-back repeat (01:30 happens twice) resolves to its FIRST occurrence.
 */
export function resolveLocal(
  zone: IANAZone,
  date: LocalDate,
  hour: number,
  minute: number,
): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const before = offsetMs(zone, naive - DAY);
  const after = offsetMs(zone, naive + DAY);
  const candidates = [...new Set([before, after])]
    .map((offset) => naive - offset)
    .filter((instant) => naive - offsetMs(zone, instant) === instant)
    .sort((a, b) => a - b);
  const first = candidates[0];
  if (first !== undefined) return first;
  // In the gap: the pre-transition offset maps the wall time past the jump by the gap's length.
  return naive - before;
}

/**
 * The first instant after `at` at which local wall-clock time reaches `targetLocal` (a later
 * local time, from `localMs`) at the current UTC offset, or the earlier instant at which the
 * offset changes. Until the result, local time runs on continuously from its value at `at`.
 */
export function advanceToLocal(zone: IANAZone, at: number, targetLocal: number): number {
  const offset = offsetMs(zone, at);
  const candidate = targetLocal - offset;
  if (candidate <= at) throw new RangeError('target local time is not after the instant');
  if (offsetMs(zone, candidate) === offset) return candidate;
  // The offset changes within (at, candidate]: find the first instant with the new offset.
  let low = at;
  let high = candidate;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetMs(zone, middle) === offset) low = middle;
    else high = middle;
  }
  return high;
}
