import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const HEAP_MODULE = fileURLToPath(new URL('../../src/service/heap.ts', import.meta.url));

/**
 * A child process holds ~40 MB of live objects and churns garbage that survives a few scavenges
 * (so it reaches the old generation, like a pass's rows), and counts its full collections.
 */
const CHILD = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
const { applyHeapGrowth } = await import(process.env.HEAP_MODULE);
applyHeapGrowth(Number(process.argv[1]));
let majors = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
}).observe({ entryTypes: ['gc'] });
const live = [];
for (let i = 0; i < 300_000; i++) live.push({ id: i, name: 'live-' + i, tags: [i, i + 1] });
const window = [];
for (let round = 0; round < 400; round++) {
  const batch = [];
  for (let i = 0; i < 5_000; i++) batch.push({ id: i, name: 'g-' + i, tags: [i] });
  window.push(batch);
  if (window.length > 20) window.shift();
}
await new Promise((resolve) => setTimeout(resolve, 50));
console.log(JSON.stringify({ majors, live: live.length }));
`;

function fullCollections(percent: number): number {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', CHILD, String(percent)],
    { env: { ...process.env, HEAP_MODULE }, encoding: 'utf8' },
  );
  return (JSON.parse(out) as { majors: number }).majors;
}

describe('applyHeapGrowth (run: PREBUILD_CONTROLLER_HEAP_GROWTH_PERCENT)', () => {
  it('takes effect after start: a small growth collects the full heap far more often', () => {
    const v8Default = fullCollections(0);
    const tight = fullCollections(10);
    // Measured on Node.js 20: 2 full collections with V8's own rule, 9 to 10 at 10 %.
    expect(tight).toBeGreaterThanOrEqual(2 * v8Default + 3);
  });
});
