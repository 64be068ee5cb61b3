import type { IANAZone } from 'luxon';

import { DAY, HOUR, offsetMs, zoneOf } from '../time/zone.js';

/**
 * Local wall-clock time for the autoscaler: `hour`, `weekday` and the hour-of-week buckets of
 * the demand profile. The simulator asks for it at every reconcile tick and every attempt, so
 * the zone's offset (an Intl call through luxon) is looked up once per 15-minute UTC block:
 * every UTC offset in use today is a multiple of 15 minutes and changes on such a boundary.
 */

const WEEK = 7 * DAY;
const BLOCK = 15 * 60_000;
/** 1970-01-01 was a Thursday; the Sunday before it starts hour-of-week 0. */
const SUNDAY_SHIFT = 4 * DAY;

export const HOURS_PER_WEEK = 168;

export interface LocalClock {
  /** The instant shifted by the zone's offset: local wall-clock time as if it were UTC. */
  localMs(at: number): number;
}

const UTC_CLOCK: LocalClock = { localMs: (at) => at };

class ZoneClock implements LocalClock {
  // Offsets by 15-minute block. A caller alternates between a few instants (now, now + L, the
  // start of the history), so this is a small map rather than a single remembered block.
  private readonly offsets = new Map<number, number>();

  constructor(private readonly zone: IANAZone) {}

  localMs(at: number): number {
    const block = Math.floor(at / BLOCK);
    let offset = this.offsets.get(block);
    if (offset === undefined) {
      offset = offsetMs(this.zone, block * BLOCK);
      if (this.offsets.size >= 4096) this.offsets.clear();
      this.offsets.set(block, offset);
    }
    return at + offset;
  }
}

const clocks = new Map<string, LocalClock | null>();

/** The clock of an IANA zone ('' = UTC), or null when the zone is unknown. Cached. */
export function localClock(timezone: string): LocalClock | null {
  if (timezone === '' || timezone === 'UTC') return UTC_CLOCK;
  let clock = clocks.get(timezone);
  if (clock === undefined) {
    const zone = zoneOf(timezone);
    clock = zone === null ? null : new ZoneClock(zone);
    if (clocks.size > 1000) clocks.clear();
    clocks.set(timezone, clock);
  }
  return clock;
}

/** Local milliseconds since the local Sunday 00:00 that starts the week. */
export function weekPosition(local: number): number {
  return (((local + SUNDAY_SHIFT) % WEEK) + WEEK) % WEEK;
}

/** Hour of the week of a local time: weekday * 24 + hour, weekday 0 = Sunday. */
export function hourOfWeek(local: number): number {
  return Math.floor(weekPosition(local) / HOUR);
}

/** Local hour (0-23) and weekday (0 = Sunday) of a local time. */
export function localHour(local: number): { hour: number; weekday: number } {
  const how = hourOfWeek(local);
  return { hour: how % 24, weekday: Math.floor(how / 24) };
}

/**
 * How long local hour-of-week `bucket` was observed within the local interval [from, to), in
 * milliseconds; arithmetic, not a walk over the hours (the simulator calls it for every pass).
 */
export function observedInBucket(bucket: number, from: number, to: number): number {
  return to <= from ? 0 : timeInBucketBefore(bucket, to) - timeInBucketBefore(bucket, from);
}

/** Time spent in `bucket` from the local week origin (a Sunday) up to `local`. */
function timeInBucketBefore(bucket: number, local: number): number {
  const shifted = local + SUNDAY_SHIFT;
  const weeks = Math.floor(shifted / WEEK);
  const rest = shifted - weeks * WEEK;
  return weeks * HOUR + Math.min(Math.max(rest - bucket * HOUR, 0), HOUR);
}
