import { AutoscalingInputs } from '../src/autoscaling/inputs.js';
import { createDbPool } from '../src/db/pool.js';
import { withTransaction } from '../src/db/tx.js';
import { DEFAULT_PREBUILD_OPTIONS } from '../src/domain/prebuilds/options.js';
import { planAll } from '../src/domain/prebuilds/plan.js';
import { resolveDesired } from '../src/domain/schedule/evaluate.js';
import { silentLogger } from '../src/log/logger.js';
import { loadSnapshot } from '../src/prebuilds/snapshot.js';
const url = 'postgres://postgres@127.0.0.1:5432/bench_100k';
const pool = await createDbPool(url, { logger: silentLogger(), maximumPoolSize: 1 });
const auto = new AutoscalingInputs();
const n = Number(process.argv[2] ?? 30);
const times: number[] = [];
for (let i = 0; i < n; i++) {
  const t = performance.now();
  const now = new Date();
  await withTransaction(pool, { isolation: 'repeatable read', readOnly: true }, async (tx) => {
    const s = await loadSnapshot(tx, now, DEFAULT_PREBUILD_OPTIONS, undefined, auto);
    planAll(s, now, DEFAULT_PREBUILD_OPTIONS, resolveDesired);
  });
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log('median', times[Math.floor(n / 2)].toFixed(1));
await pool.end();
