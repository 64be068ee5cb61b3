import { setFlagsFromString } from 'node:v8';

/**
 * The heap policy of `run`: how far V8 lets the heap grow past its live data before a full
 * collection (V8's --heap-growing-percent). By default V8 grows it 1.1 to 4 times the live data
 * depending on how fast the program allocates, and a controller allocates fast (every pass reads
 * the snapshot): at 100k workspaces 50 MB of live data let the heap swing up to 170 MB and RSS
 * reach 300 MB. A fixed share keeps the heap proportional to the live data, so it scales with the
 * fleet by itself, unlike a fixed --max-old-space-size that must be sized for the largest fleet
 * and crashes the process when it is too small.
 *
 * Set after start: V8 reads this flag each time it sizes the heap after a full collection (Node.js
 * documents flags changed after start as unsupported in general; this one was measured to take
 * effect on Node.js 20, see BENCHMARKS.md, and a test checks it). 0 leaves V8's own rule.
 */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
