import { abortReason } from './sleep.js';

/** One caller waiting for a job. `grant` is a buffered (capacity 1) wake-up. */
export class Acquiree {
  /** Has its domain's turn: cleared to query, and maybe querying now. */
  inProgress = false;
  /** A posting arrived while it was querying: it looks again before waiting. */
  pending = false;
  #granted = false;
  #wake: (() => void) | undefined;

  grant(): void {
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      wake();
    } else {
      this.#granted = true;
    }
  }

  wait(signal: AbortSignal): Promise<void> {
    if (this.#granted) {
      this.#granted = false;
      return Promise.resolve();
    }
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#wake = undefined;
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
    });
  }
}
