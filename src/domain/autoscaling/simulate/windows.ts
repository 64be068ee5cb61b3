import { DEMAND_WINDOWS, type DemandWindow, type DemandWindows } from '../types.js';

const MINUTE = 60_000;

/** Instants of one outcome (hits or misses), appended in time order, with a cursor per window. */
class OutcomeLog {
  private readonly times: number[] = [];
  /** Per window: index of the first instant still inside it. */
  private readonly tails = DEMAND_WINDOWS.map(() => 0);

  add(at: number): void {
    this.times.push(at);
  }

  /** Writes the counts in (now - w, now] of every window into `into`; `now` never goes back. */
  countInto(now: number, into: Record<DemandWindow, number>): void {
    const { times, tails } = this;
    for (let i = 0; i < DEMAND_WINDOWS.length; i++) {
      const window = DEMAND_WINDOWS[i] as DemandWindow;
      const edge = now - window * MINUTE;
      let tail = tails[i] as number;
      while (tail < times.length && (times[tail] as number) <= edge) tail++;
      tails[i] = tail;
      into[window] = times.length - tail;
    }
  }
}

/**
 * A window-count record backed by a small array: V8 keeps an object with the number keys 5 to
 * 120 as a slow dictionary, while an array indexed the same way stays a fast packed store.
 */
const zeroCounts = (): Record<DemandWindow, number> =>
  Array.from({ length: 121 }, () => 0) as unknown as Record<DemandWindow, number>;

/**
 * The claim (hit) and miss counts of the 5-120 minute windows over the attempts simulated so
 * far: amortised O(1) per query, since the simulated clock only moves forward.
 */
export class DemandLog {
  private readonly hits = new OutcomeLog();
  private readonly misses = new OutcomeLog();

  record(at: number, hit: boolean): void {
    (hit ? this.hits : this.misses).add(at);
  }

  // Objects with number keys are slow to build in V8; two are reused and overwritten instead
  // (a decision never keeps its inputs).
  private readonly current = { claims: zeroCounts(), misses: zeroCounts() };

  /** The windows at `now`; the returned object is overwritten by the next call. */
  windows(now: number): DemandWindows {
    this.hits.countInto(now, this.current.claims);
    this.misses.countInto(now, this.current.misses);
    return this.current;
  }
}

/**
 * The forecast's history as the edges would read it at `now`: attempts per local hour of the
 * week over [max(now - history, first attempt), now), kept up to date as attempts are recorded
 * and age out. `buckets` are the attempts' precomputed hour-of-week indexes.
 */
export class HistoryWindow {
  readonly counts: number[] = Array.from({ length: 168 }, () => 0);
  private head = 0;
  private tail = 0;

  constructor(
    private readonly times: ArrayLike<number>,
    private readonly buckets: ArrayLike<number>,
    private readonly historyMs: number,
  ) {}

  /** Adds the attempts up to `processed` (exclusive index) and drops those older than history. */
  advance(now: number, processed: number): Date | null {
    for (; this.head < processed; this.head++) {
      const bucket = this.buckets[this.head] as number;
      this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    }
    const edge = now - this.historyMs;
    for (; this.tail < this.head && (this.times[this.tail] as number) < edge; this.tail++) {
      const bucket = this.buckets[this.tail] as number;
      this.counts[bucket] = (this.counts[bucket] ?? 0) - 1;
    }
    if (processed === 0) return null;
    return new Date(Math.max(edge, this.times[0] as number));
  }
}
