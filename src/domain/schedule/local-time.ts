import { IANAZone } from 'luxon';

/**
 * Wall-clock arithmetic in an IANA zone. Everything is derived from the zone's UTC offset at an
 * instant: the local date-time is the instant shifted by that offset, so a DST change needs no
 * special case (the skipped hour never appears; the repeated hour appears twice).
 */

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** The local calendar hour containing an instant. `weekday`: 0 = Sunday .. 6 = Saturday. */
export interface LocalHour {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  readonly hour: number;
}

const zones = new Map<string, IANAZone | null>();

/** The zone for an IANA name, or null when luxon (and so ICU) does not know it. */
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

function offsetMs(zone: IANAZone, ms: number): number {
  // Historical offsets can have seconds (LMT); round to whole milliseconds.
  return Math.round(zone.offset(ms) * 60_000);
}

/** The instant shifted by the zone's offset: local wall-clock time as if it were UTC. */
export function localMs(zone: IANAZone, ms: number): number {
  return ms + offsetMs(zone, ms);
}

/** Calendar fields of a local wall-clock time (from `localMs`). */
export function localFields(local: number): LocalHour {
  const date = new Date(local);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    weekday: date.getUTCDay(),
    hour: date.getUTCHours(),
  };
}

export function localHour(zone: IANAZone, ms: number): LocalHour {
  return localFields(localMs(zone, ms));
}

/**
 * The first instant after `ms` at which local wall-clock time reaches `targetLocal` (a later
 * local time, from `localMs`) at the current UTC offset, or the earlier instant at which the
 * offset changes. Until the result, local time runs on continuously from its value at `ms`.
 */
export function advanceToLocal(zone: IANAZone, ms: number, targetLocal: number): number {
  const offset = offsetMs(zone, ms);
  const candidate = targetLocal - offset;
  if (candidate <= ms) throw new RangeError('target local time is not after the instant');
  if (offsetMs(zone, candidate) === offset) return candidate;
  // The offset changes within (ms, candidate]: find the first instant with the new offset.
  let low = ms;
  let high = candidate;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetMs(zone, middle) === offset) low = middle;
    else high = middle;
  }
  return high;
}
