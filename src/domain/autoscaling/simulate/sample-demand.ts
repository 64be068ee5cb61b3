/**
 * Deterministic synthetic demand for tests, the benchmark and the examples: Poisson arrivals from
 * a seeded generator, at a constant rate or a rate that changes with the time of day.
 */

/** mulberry32: a small, fast seeded PRNG with uniform output in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Arrivals over [from, to), sorted, in whole milliseconds, of a Poisson process whose rate at
 * time t is `perMinute(t)` (at most `maxPerMinute`), drawn by thinning a constant-rate process.
 */
export function poissonArrivals(
  random: () => number,
  perMinute: number | ((at: number) => number),
  from: number,
  to: number,
  maxPerMinute = typeof perMinute === 'number' ? perMinute : Number.NaN,
): number[] {
  if (!(maxPerMinute > 0)) throw new RangeError('maxPerMinute must be positive');
  const rate = maxPerMinute / 60_000;
  const arrivals: number[] = [];
  let t = from;
  for (;;) {
    t += -Math.log(1 - random()) / rate;
    if (t >= to) return arrivals;
    const keep = typeof perMinute === 'number' ? 1 : perMinute(t) / maxPerMinute;
    if (keep >= 1 || random() < keep) arrivals.push(Math.floor(t));
  }
}

/** Claims per minute of an office-hours week in UTC: `peak` on weekdays in [start, end) h. */
export function officeHours(peak: number, offPeak: number, start = 8, end = 18) {
  return (at: number): number => {
    const date = new Date(at);
    const day = date.getUTCDay();
    const hour = date.getUTCHours();
    return day >= 1 && day <= 5 && hour >= start && hour < end ? peak : offPeak;
  };
}
