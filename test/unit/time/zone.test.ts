import { describe, expect, it } from 'vitest';

import {
  addDays,
  advanceToLocal,
  canonicalZoneName,
  daysBetween,
  isRegularDay,
  localMs,
  offsetMs,
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

describe('cached offsets', () => {
  // Transitions at odd instants and odd offsets: Monrovia's -00:44:30 -> 00:00 (1972), Lord Howe's
  // 30-minute DST, Chatham's +12:45/+13:45, Kathmandu's +05:30 -> +05:45 (1986), Berlin's DST.
  const cases = [
    ['Africa/Monrovia', '1972-01-06T22:00:00Z'],
    ['Australia/Lord_Howe', '2025-04-05T13:00:00Z'],
    ['Australia/Lord_Howe', '2025-10-04T13:00:00Z'],
    ['Pacific/Chatham', '2025-04-05T12:00:00Z'],
    ['Asia/Kathmandu', '1985-12-31T17:00:00Z'],
    ['Europe/Berlin', '2025-03-30T00:00:00Z'],
    ['Europe/Berlin', '2025-10-26T00:00:00Z'],
  ] as const;

  it.each(cases)(
    '%s around %s: every minute and second agrees with luxon, cached or not',
    (name, from) => {
      const zone = zoneOf(name)!;
      const start = Date.parse(from);
      const raw = (at: number) => Math.round(zone.offset(at) * 60_000);
      // Twice over the same 6 hours: the first pass fills the cache, the second reads it, in an
      // order (span ends first) that would spread a wrong span's value if one were cached.
      for (let pass = 0; pass < 2; pass++) {
        for (let at = start; at < start + 6 * 3_600_000; at += 60_000) {
          for (const instant of [at + 59_999, at, at + 30_500]) {
            expect(offsetMs(zone, instant), `${name} ${new Date(instant).toISOString()}`).toBe(
              raw(instant),
            );
          }
        }
      }
    },
  );
});
