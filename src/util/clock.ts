/** The only source of "now" for effectful code; decisions take `now` as an argument instead. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
