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

/** A new series' observations, held until a collection has rendered it at 0. */
interface Held<L extends string> {
  readonly labels: Record<L, string>;
  readonly values: number[];
  /** Whether a collection has rendered the series (at 0) since it was created. */
  rendered: boolean;
}

/** Observations held per new series at most; beyond, they are applied (nobody is scraping). */
const MAX_HELD = 1000;

class FirstObservationHold<L extends string> {
  readonly #seen = new Set<string>();
  readonly #held = new Map<string, Held<L>>();

  constructor(private readonly histogram: Histogram<L>) {}

  observe(labels: Record<L, string>, value: number): void {
    const key = seriesKey(labels);
    const held = this.#held.get(key);
    if (held && held.values.length < MAX_HELD) {
      held.values.push(value);
    } else if (this.#seen.has(key)) {
      this.histogram.observe(labels, value);
    } else {
      this.#seen.add(key);
      this.histogram.zero(labels);
      this.#held.set(key, { labels, values: [value], rendered: false });
    }
  }

  /** Before a collection renders: applies what was rendered at 0 before; marks the rest. */
  collect(): void {
    for (const [key, held] of this.#held) {
      if (!held.rendered) {
        held.rendered = true;
        continue;
      }
      for (const value of held.values) this.histogram.observe(held.labels, value);
      this.#held.delete(key);
    }
  }
}

const holds = new WeakMap<Histogram<string>, FirstObservationHold<string>>();

function holdOf<L extends string>(histogram: Histogram<L>): FirstObservationHold<L> {
  let hold = holds.get(histogram) as FirstObservationHold<L> | undefined;
  if (!hold) {
    hold = new FirstObservationHold(histogram);
    holds.set(histogram, hold);
  }
  return hold;
}

/**
 * The histogram counterpart of zeroSeries, for histograms with a series per preset. Creating
 * every preset's series at 0 up front made /metrics large (13 to 17 bucket lines per preset and
 * histogram: 33k lines and about 6 MB per scrape at 1,000 presets, which doubled the controller's
 * heap churn at 100k workspaces). Instead a label set's first observation creates its series at
 * 0 and is held until a /metrics collection has rendered that 0; the next collection applies it
 * (and any held after it). So Prometheus sees the series at 0 and then its first observations,
 * one scrape late, and a preset that is never observed costs nothing. The histogram must call
 * releaseHeldObservations from its `collect` and be observed through observeSeries only.
 */
export function observeSeries<L extends string>(
  histogram: Histogram<L>,
  labels: Record<L, string>,
  value: number,
): void {
  holdOf(histogram).observe(labels, value);
}

/** Call from the histogram's `collect()`: see observeSeries. */
export function releaseHeldObservations<L extends string>(histogram: Histogram<L>): void {
  holdOf(histogram).collect();
}

function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}
