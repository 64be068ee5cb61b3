import { describe, expect, it } from 'vitest';

import {
  officeHours,
  poissonArrivals,
  seededRandom,
} from '../../../src/domain/autoscaling/simulate/index.js';

const FROM = Date.parse('2026-11-23T00:00:00Z'); // a Monday
const WEEK = 7 * 86_400_000;

describe('sample demand', () => {
  it('is the same for the same seed and sorted', () => {
    const a = poissonArrivals(seededRandom(1), 2, FROM, FROM + WEEK);
    expect(poissonArrivals(seededRandom(1), 2, FROM, FROM + WEEK)).toEqual(a);
    expect(poissonArrivals(seededRandom(2), 2, FROM, FROM + WEEK)).not.toEqual(a);
    expect(a.every((t, i) => i === 0 || t >= (a[i - 1] as number))).toBe(true);
    // 2/min for a week: 20160 expected, standard deviation 142.
    expect(Math.abs(a.length - 20_160)).toBeLessThan(600);
  });

  it('follows a time-of-day rate by thinning', () => {
    const rate = officeHours(3, 0);
    const a = poissonArrivals(seededRandom(3), rate, FROM, FROM + WEEK, 3);
    for (const t of a) expect(rate(t)).toBe(3);
    // 5 days x 10 h x 60 min x 3 = 9000 expected.
    expect(Math.abs(a.length - 9000)).toBeLessThan(400);
  });

  it('needs a maximum rate for a varying one', () => {
    expect(() => poissonArrivals(seededRandom(1), () => 1, FROM, FROM + 1)).toThrow(RangeError);
  });
});
