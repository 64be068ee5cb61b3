/** Exponential retry delay after failed attempt number `attempt` (1-based): base, 2x, 4x ... cap. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  const exponent = Math.max(0, attempt - 1);
  // 2^30 * base already exceeds any sane cap; avoids Infinity for absurd attempt counts.
  return Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 30));
}
