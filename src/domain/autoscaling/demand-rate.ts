import { HOUR, MINUTE } from '../time/zone.js';
import {
  hourOfWeek,
  HOURS_PER_WEEK,
  type LocalClock,
  observedInBucket,
  weekPosition,
} from './local-time.js';
import type { DemandHistory, DemandWindows } from './types.js';

/**
 * The claim rate a forecast sizes the pool for (attempts per minute, hits and misses alike).
 *
 * From the history: per local hour of the week, the bucket's attempts divided by the minutes that
 * bucket was observed between `since` and `now` (computed arithmetically). A bucket observed for
 * less than an hour (a young history) is topped up to a full hour at the history's mean rate, so
 * one early attempt does not look like a flood and an unobserved hour is not taken as silence.
 * The forecast takes the highest bucket rate over [now, now + L] (so the pool is warm before a
 * ramp) and never less than the last 30 minutes' rate (so a burst today is not averaged away).
 */

/** Minimum observation, per bucket and overall, before a rate is taken at face value. */
const MIN_OBSERVED_MS = HOUR;

/** (claims_30m + misses_30m) / 30. */
export function recentRatePerMinute(demand: DemandWindows): number {
  return (demand.claims[30] + demand.misses[30]) / 30;
}

export interface ProfileInput {
  readonly history: DemandHistory;
  readonly clock: LocalClock;
  readonly now: number;
  readonly leadTimeMs: number;
}

/** A problem with the history that makes it unusable, or null. */
export function historyProblem(history: DemandHistory): string | null {
  const counts = history.attemptsByHourOfWeek;
  if (counts.length !== HOURS_PER_WEEK) {
    return `the demand history has ${counts.length} hour-of-week counts, not ${HOURS_PER_WEEK}`;
  }
  if (!counts.every((count) => Number.isFinite(count) && count >= 0)) {
    return 'the demand history has a count that is not a number >= 0';
  }
  return null;
}

/**
 * The highest profile rate over [now, now + L], in attempts per minute; 0 without `since`.
 * The history must be well-formed (see `historyProblem`).
 */
export function profileRatePerMinute(input: ProfileInput): number {
  const { history, clock, now, leadTimeMs } = input;
  if (history.since === null) return 0;
  const counts = history.attemptsByHourOfWeek;
  const localNow = clock.localMs(now);
  const localSince = Math.min(clock.localMs(history.since.getTime()), localNow);
  let total = 0;
  for (const count of counts) total += count;
  const mean = total / Math.max(localNow - localSince, MIN_OBSERVED_MS);

  const localEnd = Math.max(clock.localMs(now + leadTimeMs), localNow);
  const firstHourStart = localNow - (weekPosition(localNow) % HOUR);
  const touched = Math.min(Math.floor((localEnd - firstHourStart) / HOUR) + 1, HOURS_PER_WEEK);
  const first = hourOfWeek(localNow);
  let highest = 0;
  for (let i = 0; i < touched; i++) {
    const bucket = (first + i) % HOURS_PER_WEEK;
    const observed = observedInBucket(bucket, localSince, localNow);
    const count = counts[bucket] as number;
    const rate =
      (count + mean * Math.max(MIN_OBSERVED_MS - observed, 0)) /
      Math.max(observed, MIN_OBSERVED_MS);
    if (rate > highest) highest = rate;
  }
  return highest * MINUTE;
}
