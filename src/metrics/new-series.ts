/**
 * Holds at 0 the new series of counters whose values are totals read from the database on an
 * interval (refreshes), so that Prometheus sees each new series at 0 before its first value.
 *
 * A label set that first shows up in a later refresh with a value > 0 would otherwise be born at
 * that value, and increase()/rate() would never see its first events. The rule:
 *
 * - the first refresh a collection sees is the totals as of process start: every series takes
 *   its value at once;
 * - at every later refresh, a label set that the most recent /metrics collection did not render
 *   (at any value) is new: it is rendered at 0 until the next refresh;
 * - at that next refresh it was rendered (at 0) by the collections in between, so it takes its
 *   value; when no collection ran in between, it is held one more refresh.
 *
 * A label set already rendered at 0 for another reason (a preset reported by the state view)
 * takes its value at the refresh it first appears in. Held series lag by one refresh at most
 * (plus the time to the next scrape); "rendered" means a collection produced it, which is what
 * Prometheus' next scrape sees when that collection was its scrape.
 */
export class NewSeriesHold {
  #last: object | undefined;
  #visible = new Set<string>();
  #held = new Set<string>();

  /**
   * Call with every result the collection reads and its label-set keys: a result other than the
   * previous one (by identity) is a refresh, so the source must return the same object until it
   * loads again (CountersCache does).
   */
  read(result: object, keys: () => Iterable<string>): void {
    if (result === this.#last) return;
    const first = this.#last === undefined;
    this.#last = result;
    this.#held = new Set();
    if (first) return;
    for (const key of keys()) if (!this.#visible.has(key)) this.#held.add(key);
  }

  /** Whether the key's series is rendered at 0 for now. */
  held(key: string): boolean {
    return this.#held.has(key);
  }

  /** Call with every label-set key a collection rendered (replaces the previous collection's). */
  rendered(keys: Iterable<string>): void {
    this.#visible = new Set(keys);
  }
}
