import type { BackoffInput } from './types.js';

/**
 * The wait after `failures` consecutive creation failures: base, 2 x base, 4 x base, ... capped.
 * Coder documents its backoff as exponential but waits `failures x interval` (linear), which
 * keeps hammering a broken template every few minutes for the whole lookback.
 */
export function backoffDelayMs(failures: number, baseMs: number, capMs: number): number {
  if (failures <= 0) return 0;
  // 2^52 x base overflows nothing we care about; beyond that the cap has long applied.
  const factor = 2 ** Math.min(failures - 1, 52);
  return Math.min(capMs, baseMs * factor);
}

/** Until when creation waits, or null when the preset has no recent failures. */
export function backoffUntil(
  input: BackoffInput | null,
  baseMs: number,
  capMs: number,
): Date | null {
  if (!input || input.failedCount <= 0) return null;
  return new Date(input.lastFailureAt.getTime() + backoffDelayMs(input.failedCount, baseMs, capMs));
}
