import type { Counter } from 'prom-client';

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
