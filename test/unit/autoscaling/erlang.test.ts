import { describe, expect, it } from 'vitest';

import { erlangB, hitRate, poolSizeFor } from '../../../src/domain/autoscaling/index.js';

/** B from its definition, (A^S / S!) / sum_k (A^k / k!), for small S. */
function erlangBDirect(servers: number, load: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k <= servers; k++) {
    term *= load / k;
    sum += term;
  }
  return term / sum;
}

describe('erlangB', () => {
  it('is 1 with no servers', () => {
    expect(erlangB(0, 0)).toBe(1);
    expect(erlangB(0, 3.5)).toBe(1);
  });

  it.each([
    [1, 1, 0.5],
    [2, 1, 0.2],
    [10, 5, 0.018384570336648],
    [5, 2, 0.036697247706422],
    [20, 15, 0.04559321558981184],
  ])('B(%i, %d) = %d', (servers, load, expected) => {
    expect(erlangB(servers, load)).toBeCloseTo(expected, 8);
  });

  it('matches the definition for small pools', () => {
    for (let s = 0; s <= 25; s++) {
      for (const a of [0.01, 0.3, 1, 2.5, 7, 19.5]) {
        expect(erlangB(s, a)).toBeCloseTo(erlangBDirect(s, a), 12);
      }
    }
  });

  it('stays finite and within [0, 1] for large pools and loads (where factorials overflow)', () => {
    for (const [s, a] of [
      [1000, 900],
      [1000, 5000],
      [500, 1e-6],
      [200, 1e6],
    ] as const) {
      const b = erlangB(s, a);
      expect(Number.isFinite(b)).toBe(true);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThanOrEqual(1);
    }
    // Heavy overload: almost every claim misses, B ~ 1 - S/A.
    expect(erlangB(200, 1e6)).toBeCloseTo(1 - 200 / 1e6, 6);
  });

  it('rejects bad input', () => {
    expect(() => erlangB(-1, 1)).toThrow(RangeError);
    expect(() => erlangB(1.5, 1)).toThrow(RangeError);
    expect(() => erlangB(2, -1)).toThrow(RangeError);
    expect(() => erlangB(2, Number.NaN)).toThrow(RangeError);
    expect(() => erlangB(2, Infinity)).toThrow(RangeError);
  });
});

describe('hitRate', () => {
  it('is 1 - B, and 1 without demand', () => {
    expect(hitRate(10, 5)).toBeCloseTo(1 - 0.018384570336648, 10);
    expect(hitRate(0, 0)).toBe(1);
    expect(hitRate(3, 0)).toBe(1);
    expect(hitRate(0, 2)).toBe(0);
  });
});

describe('poolSizeFor', () => {
  it('is the smallest pool reaching the target', () => {
    // A = 5: B(8) = 0.07005 (hit 0.92995), B(9) = 0.03746 (hit 0.96254).
    expect(poolSizeFor(0.95, 5, 1000)).toBe(9);
    expect(poolSizeFor(0.92, 5, 1000)).toBe(8);
    expect(poolSizeFor(0.5, 1, 1000)).toBe(1);
    for (const [target, load] of [
      [0.95, 5],
      [0.99, 20],
      [0.8, 0.4],
      [0.999, 50],
    ] as const) {
      const s = poolSizeFor(target, load, 1000);
      expect(hitRate(s, load)).toBeGreaterThanOrEqual(target);
      if (s > 0) expect(hitRate(s - 1, load)).toBeLessThan(target);
    }
  });

  it('needs no pool without demand', () => {
    expect(poolSizeFor(0.99, 0, 1000)).toBe(0);
  });

  it('stops at the upper bound', () => {
    expect(poolSizeFor(0.99, 500, 30)).toBe(30);
    expect(poolSizeFor(0.99, 5, 0)).toBe(0);
  });

  it('rejects a target outside (0, 1)', () => {
    expect(() => poolSizeFor(1, 5, 10)).toThrow(RangeError);
    expect(() => poolSizeFor(0, 5, 10)).toThrow(RangeError);
    expect(() => poolSizeFor(Number.NaN, 5, 10)).toThrow(RangeError);
  });
});
