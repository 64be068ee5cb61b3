import type { Listener } from '../db/listener.js';
import type { Logger } from '../log/logger.js';

export interface WakeLoopOptions {
  /**
   * One round of work. A throw is logged and the loop goes on after the interval. It may return
   * in how many milliseconds the next round is due (something it knows will change then); the
   * loop then sleeps that long when it is shorter than the interval.
   */
  readonly round: () => Promise<number | null | void>;
  readonly intervalMs: number;
  readonly log: Logger;
  /** What a failed round is called in the log. */
  readonly what: string;
  /**
   * After a wake-up, wait this long for more before the next round, so a burst of
   * notifications makes one round. Default 0.
   */
  readonly debounceMs?: number;
  /**
   * The largest share of time rounds may take while wake-ups keep coming: after a round that
   * took T ms, a woken round waits until T * (1 / busyShare - 1) ms after it ended (at least
   * debounceMs). A round that is due (interval, or when the round said) does not wait. So a
   * notification storm cannot keep the loop busy back to back, and the spacing grows with what a
   * round costs (a fleet's size), not with a fixed guess. Default: no limit.
   */
  readonly busyShare?: number;
  /** NOTIFY wake-ups: a channel, optionally only for some payloads. Reconnects always wake. */
  readonly listener?: Listener;
  readonly channels?: readonly { channel: string; when?: (payload: string) => boolean }[];
}

/**
 * The shape every loop of the controller shares: a round every `intervalMs` (sooner when the round
 * says when it is next due), and another soon after a wake-up (a NOTIFY, a listener reconnect, or
 * `wake()`). Wake-ups during a round make
 * one more round, never one per notification; rounds never overlap. NOTIFY is only a hint: the
 * interval is what guarantees progress.
 */
export class WakeLoop {
  readonly #o: WakeLoopOptions;
  #stopped = true;
  #pending = false;
  #wakeUp: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void)[] = [];
  #done: Promise<void> = Promise.resolve();

  constructor(options: WakeLoopOptions) {
    this.#o = options;
  }

  /** Resolves when the loop has ended after `stop` (the round in flight has finished). */
  get done(): Promise<void> {
    return this.#done;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const { listener, channels = [] } = this.#o;
    if (listener) {
      for (const { channel, when } of channels) {
        this.#unsubscribe.push(
          listener.on(channel, (payload) => {
            if (!when || when(payload)) this.wake();
          }),
        );
      }
      this.#unsubscribe.push(listener.onReconnect(() => this.wake()));
    }
    this.#done = this.#run();
  }

  /** Ask for a round soon (coalesced with any other request). */
  wake(): void {
    this.#pending = true;
    this.#wakeUp?.();
  }

  /**
   * Stops taking rounds and waits for the one in flight until `deadline`. Returns false when the
   * deadline passed first (the round goes on; `done` tells when it ends).
   */
  async stop(deadline: Date): Promise<boolean> {
    this.#stopped = true;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#wakeUp?.();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline.getTime() - Date.now()));
      timer.unref();
    });
    const finished = await Promise.race([this.#done.then(() => true), timedOut]);
    clearTimeout(timer);
    return finished;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      this.#pending = false;
      let dueInMs: number | null | void = null;
      const started = Date.now();
      try {
        dueInMs = await this.#o.round();
      } catch (error) {
        this.#o.log.error({ err: error }, `${this.#o.what} failed; retrying after the interval`);
      }
      const ended = Date.now();
      if (this.#stopped) break;
      const sleepMs =
        typeof dueInMs === 'number' && Number.isFinite(dueInMs)
          ? Math.max(0, Math.min(this.#o.intervalMs, dueInMs))
          : this.#o.intervalMs;
      if (!this.#pending) await this.#sleep(sleepMs, true);
      // Woken (not timed out): let the rest of a burst arrive, then one round for all of it,
      // and no sooner than busyShare allows after the last round.
      if (this.#pending && !this.#stopped) {
        const { debounceMs = 0, busyShare } = this.#o;
        const spacing = busyShare ? (ended - started) * (1 / busyShare - 1) : 0;
        const waitMs = Math.max(debounceMs, spacing - (Date.now() - ended));
        if (waitMs > 0) await this.#sleep(waitMs, false);
      }
    }
  }

  /** Sleeps `ms`; a wake-up ends it early when `wakeable`, a stop always does. */
  #sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.#timer);
        this.#wakeUp = undefined;
        resolve();
      };
      this.#wakeUp = () => {
        if (wakeable || this.#stopped) done();
      };
      this.#timer = setTimeout(done, ms);
    });
  }
}
