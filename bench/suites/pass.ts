import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';

import { AutoscalingInputs } from '../../src/autoscaling/inputs.js';
import { LOCKS, tryAdvisoryXactLock } from '../../src/db/locks.js';
import { createDbPool } from '../../src/db/pool.js';
import { withTransaction } from '../../src/db/tx.js';
import { DEFAULT_PREBUILD_OPTIONS } from '../../src/domain/prebuilds/options.js';
import { planAll, type PresetPlan } from '../../src/domain/prebuilds/plan.js';
import { resolveDesired } from '../../src/domain/schedule/evaluate.js';
import { silentLogger } from '../../src/log/logger.js';
import { isReconciliationPaused, readReconcileGeneration } from '../../src/prebuilds/settings.js';
import { loadSnapshot } from '../../src/prebuilds/snapshot.js';
import { cpuMs, nodeCpuMs, schedstat, waitMs } from '../cpu.js';
import { type Summary, summarize } from '../stats.js';
import type { BenchRow, BenchSuite } from './types.js';

const WARMUP = 3;
const pidQuery = sql.type(z.object({ pid: z.number() }))`SELECT pg_backend_pid() AS pid`;

function countActions(plans: readonly PresetPlan[]) {
  let creates = 0;
  let deletes = 0;
  for (const plan of plans) {
    for (const action of plan.actions) {
      if (action.type === 'create') creates += action.count;
      if (action.type === 'delete') deletes += action.workspaceIds.length;
    }
  }
  return { presets: plans.length, creates, deletes };
}

interface PassResult {
  readonly wall: Summary;
  readonly snapshot: Summary;
  readonly decide: Summary;
  /** PostgreSQL backends' CPU plus this process's, per pass; null when /proc is not readable. */
  readonly cpu: Summary | null;
  readonly backendCpu: Summary | null;
  readonly backendWait: Summary | null;
  readonly nodeCpu: Summary;
  readonly counts: Record<string, number>;
}

/**
 * Runs the pass `runs` times; with `side`, half the snapshot is read on a second connection.
 * `autoscaling` gives the inputs cache of each pass: one shared instance is the reconciler's
 * steady state (forecast profiles and lead times cached, the claim windows read every pass); a
 * new one per pass is the pass right after a start or a refresh (every forecast's history read).
 */
async function measurePass(
  main: DatabasePool,
  side: DatabasePool | undefined,
  runs: number,
  autoscaling: () => AutoscalingInputs,
) {
  const options = DEFAULT_PREBUILD_OPTIONS;
  // One connection per pool, so the backends sampled are the ones doing the work.
  const pids = [await main.oneFirst(pidQuery), ...(side ? [await side.oneFirst(pidQuery)] : [])];
  const sample = () => pids.map(schedstat);
  const series = { wall: [] as number[], snapshot: [] as number[], decide: [] as number[] };
  const cpu = { backend: [] as number[], wait: [] as number[], node: [] as number[] };
  let counts: Record<string, number> = {};
  for (let i = 0; i < runs + WARMUP; i++) {
    const now = new Date();
    const before = sample();
    const nodeBefore = process.cpuUsage();
    const started = performance.now();
    const marks = { snapshot: 0, afterSnapshot: 0, afterDecide: 0 };
    await withTransaction(main, { isolation: 'repeatable read', readOnly: true }, async (tx) => {
      marks.snapshot = performance.now();
      if (!(await tryAdvisoryXactLock(tx, LOCKS.reconcile))) throw new Error('lock held');
      // What the reconciler reads before the snapshot (its second read of the generation, on
      // another connection, runs at the same time and is left out here).
      await readReconcileGeneration(tx);
      if (await isReconciliationPaused(tx)) throw new Error('paused');
      const snapshot = await loadSnapshot(tx, now, options, side, autoscaling());
      marks.afterSnapshot = performance.now();
      const plans = planAll(snapshot, now, options, resolveDesired);
      marks.afterDecide = performance.now();
      counts = {
        ...countActions(plans),
        running: snapshot.running.length,
        autoscaled: snapshot.autoscaling?.length ?? 0,
      };
    });
    const ended = performance.now();
    const node = nodeCpuMs(nodeBefore);
    const after = sample();
    if (i < WARMUP) continue;
    series.wall.push(ended - started);
    series.snapshot.push(marks.afterSnapshot - marks.snapshot);
    series.decide.push(marks.afterDecide - marks.afterSnapshot);
    cpu.node.push(node);
    const used = pids.map((_, k) => cpuMs(before[k] ?? null, after[k] ?? null));
    const waited = pids.map((_, k) => waitMs(before[k] ?? null, after[k] ?? null));
    if (used.every((x) => x !== null) && waited.every((x) => x !== null)) {
      cpu.backend.push(used.reduce<number>((a, b) => a + (b ?? 0), 0));
      cpu.wait.push(waited.reduce<number>((a, b) => a + (b ?? 0), 0));
    }
  }
  // A replaced connection would have made the CPU samples belong to other backends.
  const samePids =
    (await main.oneFirst(pidQuery)) === pids[0] &&
    (!side || (await side.oneFirst(pidQuery)) === pids[1]);
  const haveCpu = samePids && cpu.backend.length === runs;
  const result: PassResult = {
    wall: summarize(series.wall),
    snapshot: summarize(series.snapshot),
    decide: summarize(series.decide),
    cpu: haveCpu ? summarize(cpu.backend.map((ms, k) => ms + (cpu.node[k] ?? 0))) : null,
    backendCpu: haveCpu ? summarize(cpu.backend) : null,
    backendWait: haveCpu ? summarize(cpu.wait) : null,
    nodeCpu: summarize(cpu.node),
    counts,
  };
  return result;
}

function rowsFor(label: string, r: PassResult): BenchRow[] {
  return [
    {
      metric: `${label}: pass wall median (tx + lock + snapshot + decide)`,
      value: r.wall.median,
      unit: 'ms',
    },
    { metric: `${label}: pass wall p95`, value: r.wall.p95, unit: 'ms' },
    {
      metric: `${label}: snapshot / decide wall median`,
      value: `${r.snapshot.median} / ${r.decide.median}`,
      unit: 'ms',
    },
    ...(r.cpu && r.backendCpu && r.backendWait
      ? [
          {
            metric: `${label}: CPU median: PostgreSQL + Node.js (PostgreSQL waited for a CPU)`,
            value: `${r.cpu.median} = ${r.backendCpu.median} + ${r.nodeCpu.median} (${r.backendWait.median})`,
            unit: 'ms',
          },
        ]
      : [{ metric: `${label}: Node.js CPU median`, value: r.nodeCpu.median, unit: 'ms' }]),
  ];
}

/**
 * A whole reconciliation pass as the reconciler will run it: REPEATABLE READ READ ONLY
 * transaction, try-lock, snapshot, then the pure decision for every preset; once on one
 * connection, once with half the snapshot on a second connection (loadSnapshot's `parallel`).
 * Wall time, and the CPU time of the PostgreSQL backends and of this process (see cpu.ts): on a
 * shared machine that is the better estimate of the pass on an idle one.
 */
export const reconcilePass: BenchSuite = {
  name: 'reconcile-pass',
  description: 'snapshot + decide, one REPEATABLE READ READ ONLY transaction',
  async run({ url, runs }) {
    const main = await createDbPool(url, { logger: silentLogger(), maximumPoolSize: 1 });
    const side = await createDbPool(url, { logger: silentLogger(), maximumPoolSize: 1 });
    try {
      const shared = new AutoscalingInputs();
      const warm = () => shared;
      const one = await measurePass(main, undefined, runs, warm);
      const two = await measurePass(main, side, runs, warm);
      const cold = await measurePass(main, side, runs, () => new AutoscalingInputs());
      const c = one.counts;
      return {
        rows: [
          ...rowsFor('1 connection', one),
          ...rowsFor('2 connections', two),
          ...rowsFor('2 connections, autoscaling cache cold', cold),
          {
            metric: 'presets / with a policy / running prebuilds / to create / to delete',
            value: `${c.presets} / ${c.autoscaled} / ${c.running} / ${c.creates} / ${c.deletes}`,
          },
        ],
        details: {
          oneConnection: one,
          twoConnections: two,
          twoConnectionsColdAutoscaling: cold,
          benchProcessRssBytes: process.memoryUsage().rss,
        },
      };
    } finally {
      await main.end();
      await side.end();
    }
  },
};
