import type { Counter, Histogram } from 'prom-client';

type Dimensions<L extends string> = { readonly [K in L]: readonly string[] };

/** Every combination of the given label values (the cartesian product). */
export function combinations<L extends string>(dimensions: Dimensions<L>): Record<L, string>[] {
  let result: Record<string, string>[] = [{}];
  for (const [name, values] of Object.entries<readonly string[]>(dimensions)) {
    result = result.flatMap((partial) => values.map((value) => ({ ...partial, [name]: value })));
  }
  return result;
}

/**
 * Creates the counter's series for every given label combination at 0. A series created by its
 * first `inc()` starts life at 1, and `increase()`/`rate()` never see that first step (a replica's
 * first reap, the first notification delivered); created at 0 when the process starts, the first
 * event is an increase like any other.
 */
export function zeroSeries<L extends string>(
  counter: Counter<L>,
  labelSets: readonly Partial<Record<L, string>>[],
): void {
  for (const labels of labelSets) counter.inc(labels, 0);
}

const createdHistogramSeries = new WeakMap<Histogram<string>, Set<string>>();

function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The histogram counterpart of zeroSeries: creates each label set's series at 0 unless this
 * function created it before. Histogram.zero() resets a series that exists, so a histogram passed
 * here is observed through observeSeries only, which creates its series here first.
 */
export function zeroHistogramSeries<L extends string>(
  histogram: Histogram<L>,
  labelSets: readonly Record<L, string>[],
): void {
  let created = createdHistogramSeries.get(histogram);
  if (!created) {
    created = new Set();
    createdHistogramSeries.set(histogram, created);
  }
  for (const labels of labelSets) {
    const key = seriesKey(labels);
    if (created.has(key)) continue;
    created.add(key);
    histogram.zero(labels);
  }
}

/** Observes a histogram that zeroHistogramSeries creates series of. */
export function observeSeries<L extends string>(
  histogram: Histogram<L>,
  labels: Record<L, string>,
  value: number,
): void {
  zeroHistogramSeries(histogram, [labels]);
  histogram.observe(labels, value);
}
