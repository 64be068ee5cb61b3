/**
 * Erlang's loss formula. A pool of S prebuilds, claims arriving at rate lambda and every claimed
 * prebuild replaced after a lead time L behaves like an Erlang loss system: S servers, offered
 * load A = lambda * L, and a claim that finds no eligible prebuild is lost (it misses; a normal
 * build runs, which does not use up a prebuild). B(S, A) is the share of claims that miss.
 *
 * B is computed with the recurrence B(0, A) = 1, B(n, A) = A * B(n-1, A) / (n + A * B(n-1, A)),
 * which stays within [0, 1] at every step (no factorials, no overflow) for any S and A.
 */

function checkLoad(load: number): void {
  if (!(load >= 0) || !Number.isFinite(load)) {
    throw new RangeError(`offered load must be a finite number >= 0, got ${load}`);
  }
}

/** B(servers, load): the probability that a claim finds every prebuild taken. */
export function erlangB(servers: number, load: number): number {
  checkLoad(load);
  if (!Number.isSafeInteger(servers) || servers < 0) {
    throw new RangeError(`servers must be a whole number >= 0, got ${servers}`);
  }
  let b = 1;
  for (let n = 1; n <= servers; n++) b = (load * b) / (n + load * b);
  return b;
}

/**
 * The share of claims a pool of `servers` serves: 1 - B(servers, load). With no demand at all
 * (load 0) no claim can miss, so it is 1 for every pool size, 0 included.
 */
export function hitRate(servers: number, load: number): number {
  return load === 0 ? 1 : 1 - erlangB(servers, load);
}

/**
 * The smallest pool S in [0, upper] with 1 - B(S, load) >= target, or `upper` when even that
 * falls short. One pass of the recurrence: O(S).
 */
export function poolSizeFor(target: number, load: number, upper: number): number {
  checkLoad(load);
  if (!(target > 0 && target < 1)) {
    throw new RangeError(`target hit rate must be between 0 and 1 (exclusive), got ${target}`);
  }
  if (load === 0) return 0;
  let b = 1;
  for (let n = 0; n < upper; n++) {
    if (1 - b >= target) return n;
    b = (load * b) / (n + 1 + load * b);
  }
  return Math.max(upper, 0);
}
