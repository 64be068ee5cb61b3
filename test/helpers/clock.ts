import type { Clock } from '../../src/util/clock.js';

/** A clock that moves only when told to. */
export class FakeClock implements Clock {
  #now: number;

  constructor(start: Date | string) {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  set(at: Date | string): void {
    this.#now = new Date(at).getTime();
  }

  advance(ms: number): Date {
    this.#now += ms;
    return this.now();
  }
}
