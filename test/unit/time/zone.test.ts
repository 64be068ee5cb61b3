import { describe, expect, it } from 'vitest';

import {
  addDays,
  advanceToLocal,
  canonicalZoneName,
  daysBetween,
  isRegularDay,
  localMs,
  resolveLocal,
  toLocal,
  zoneOf,
} from '../../../src/domain/time/zone.js';

const berlin = zoneOf('Europe/Berlin')!;
const iso = (ms: number) => new Date(ms).toISOString();

describe('shared zone helpers', () => {
  it('knows IANA zones and keeps the chosen alias in canonical casing', () => {
    expect(zoneOf('Mars/Olympus')).toBeNull();
    expect(zoneOf('')).toBeNull();
    expect(canonicalZoneName('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalZoneName('US/Eastern')).toBe('US/Eastern');
  });

  it('reads local date and time, weekday in cron numbering', () => {
    // 2025-03-30 is a Sunday; Berlin is UTC+2 after 01:00 UTC that day.
    expect(toLocal(berlin, Date.parse('2025-03-30T22:30:00Z'))).toEqual({
      year: 2025,
      month: 3,
      day: 31,
      weekday: 1,
      hour: 0,
      minute: 30,
    });
  });

  it('resolves spring-forward gaps forward and fall-back repeats to the first occurrence', () => {
    const spring = { year: 2025, month: 3, day: 30 };
    expect(iso(resolveLocal(berlin, spring, 2, 30))).toBe('2025-03-30T01:30:00.000Z');
    expect(iso(resolveLocal(berlin, spring, 3, 30))).toBe('2025-03-30T01:30:00.000Z');
    const fall = { year: 2025, month: 10, day: 26 };
    expect(iso(resolveLocal(berlin, fall, 2, 30))).toBe('2025-10-26T00:30:00.000Z');
    expect(isRegularDay(berlin, spring)).toBe(false);
    expect(isRegularDay(berlin, addDays(spring, 1))).toBe(true);
  });

  it('counts calendar days across DST and advances to a local time', () => {
    expect(daysBetween({ year: 2025, month: 3, day: 29 }, { year: 2025, month: 4, day: 1 })).toBe(
      3,
    );
    const at = Date.parse('2025-03-30T00:00:00Z'); // 01:00 local, one hour before the jump
    const target = localMs(berlin, at) + 3 * 3_600_000; // 04:00 local
    // The offset changes first, at 01:00 UTC.
    expect(iso(advanceToLocal(berlin, at, target))).toBe('2025-03-30T01:00:00.000Z');
  });
});
