import { sql } from 'slonik';
import { z } from 'zod';

import { LOCKS, tryAdvisoryXactLock } from '../../src/db/locks.js';
import { createDbPool } from '../../src/db/pool.js';
import { withTransaction } from '../../src/db/tx.js';
import { DEFAULT_PREBUILD_OPTIONS } from '../../src/domain/prebuilds/options.js';
import { planAll, type PresetPlan } from '../../src/domain/prebuilds/plan.js';
import type { DesiredResolver } from '../../src/domain/schedule/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { loadSnapshot } from '../../src/prebuilds/snapshot.js';
import { cpuMs, nodeCpuMs, schedstat, waitMs } from '../cpu.js';
import { summarize } from '../stats.js';
import type { BenchSuite } from './types.js';

/**
 * Stand-in for the schedule evaluator (issue 3) until it lands: `instances`, no cron. Seeded
 * presets do carry schedules, so the snapshot reads them; the evaluator's own cost is its
 * benchmark's business. Swap in the real resolver here when it exists.
 */
const resolver: DesiredResolver = (config) => ({ desired: config.instances, schedule: null });

const WARMUP = 3;

function countActions(plans: readonly PresetPlan[]) {
  let creates = 0;
  let deletes = 0;
  for (const plan of plans) {
    for (const action of plan.actions) {
      if (action.type === 'create') creates += action.count;
      if (action.type === 'delete') deletes += action.workspaceIds.length;
    }
  }
  return {
    presets: plans.length,
    creates,
    deletes,
    backoffs: plans.filter((p) => p.actions.some((a) => a.type === 'backoff')).length,
    hardLimited: plans.filter((p) => p.state.hardLimited).length,
    cancelPending: plans.filter((p) => p.actions.some((a) => a.type === 'cancel_pending')).length,
  };
}

/**
 * A whole reconciliation pass as the reconciler will run it: REPEATABLE READ READ ONLY
 * transaction, try-lock, snapshot (six queries), then the pure decision for every preset. Wall
 * time, and the CPU time of the PostgreSQL backend and of this process (see cpu.ts): on a shared
 * machine their sum is the better estimate of the pass on an idle one.
 */
export const reconcilePass: BenchSuite = {
  name: 'reconcile-pass',
  description: 'snapshot + decide, one REPEATABLE READ READ ONLY transaction',
  async run({ url, runs }) {
    // One connection, so the backend whose CPU time is sampled is the one doing the work.
    const pool = await createDbPool(url, { logger: silentLogger(), maximumPoolSize: 1 });
    const options = DEFAULT_PREBUILD_OPTIONS;
    const pidQuery = sql.type(z.object({ pid: z.number() }))`SELECT pg_backend_pid() AS pid`;
    const wall: number[] = [];
    const snapshotMs: number[] = [];
    const decideMs: number[] = [];
    const dbCpu: number[] = [];
    const dbWait: number[] = [];
    const nodeCpu: number[] = [];
    let counts: Record<string, number> = {};
    let rows = { running: 0, stoppedOrFailed: 0 };
    try {
      const pid = await pool.oneFirst(pidQuery);
      for (let i = 0; i < runs + WARMUP; i++) {
        const now = new Date();
        const backendBefore = schedstat(pid);
        const nodeBefore = process.cpuUsage();
        const started = performance.now();
        let afterSnapshot = 0;
        let afterDecide = 0;
        let beforeSnapshot = 0;
        await withTransaction(
          pool,
          { isolation: 'repeatable read', readOnly: true },
          async (tx) => {
            beforeSnapshot = performance.now();
            if (!(await tryAdvisoryXactLock(tx, LOCKS.reconcile))) throw new Error('lock held');
            const snapshot = await loadSnapshot(tx, now, options);
            afterSnapshot = performance.now();
            const plans = planAll(snapshot, now, options, resolver);
            afterDecide = performance.now();
            counts = countActions(plans);
            rows = {
              running: snapshot.running.length,
              stoppedOrFailed: snapshot.stoppedOrFailed.length,
            };
          },
        );
        const ended = performance.now();
        const node = nodeCpuMs(nodeBefore);
        const backendAfter = schedstat(pid);
        if (i < WARMUP) continue;
        wall.push(ended - started);
        snapshotMs.push(afterSnapshot - beforeSnapshot);
        decideMs.push(afterDecide - afterSnapshot);
        nodeCpu.push(node);
        const cpu = cpuMs(backendBefore, backendAfter);
        const wait = waitMs(backendBefore, backendAfter);
        if (cpu !== null && wait !== null) {
          dbCpu.push(cpu);
          dbWait.push(wait);
        }
      }
      // A replaced connection would have made the CPU samples belong to another backend.
      const samePid = (await pool.oneFirst(pidQuery)) === pid;
      const pass = summarize(wall);
      const snapshot = summarize(snapshotMs);
      const decide = summarize(decideMs);
      const db = samePid && dbCpu.length === wall.length ? summarize(dbCpu) : null;
      const dbQueue = db ? summarize(dbWait) : null;
      const nodeSummary = summarize(nodeCpu);
      const cpuSum = db ? summarize(dbCpu.map((ms, i) => ms + (nodeCpu[i] ?? 0))) : null;
      return {
        rows: [
          {
            metric: 'pass wall (tx + lock + snapshot + decide) median',
            value: pass.median,
            unit: 'ms',
          },
          { metric: 'pass wall p95', value: pass.p95, unit: 'ms' },
          { metric: 'snapshot wall median', value: snapshot.median, unit: 'ms' },
          { metric: 'decide wall median', value: decide.median, unit: 'ms' },
          ...(cpuSum && db && dbQueue
            ? [
                {
                  metric: 'pass CPU (PostgreSQL + Node.js) median',
                  value: cpuSum.median,
                  unit: 'ms',
                },
                { metric: 'pass CPU p95', value: cpuSum.p95, unit: 'ms' },
                { metric: 'PostgreSQL backend CPU median', value: db.median, unit: 'ms' },
                {
                  metric: 'PostgreSQL backend waiting for a CPU median',
                  value: dbQueue.median,
                  unit: 'ms',
                },
              ]
            : []),
          { metric: 'Node.js CPU median', value: nodeSummary.median, unit: 'ms' },
          {
            metric: 'presets / running / to create / to delete',
            value: `${counts.presets} / ${rows.running} / ${counts.creates} / ${counts.deletes}`,
          },
        ],
        details: {
          pass,
          snapshot,
          decide,
          backendCpu: db,
          backendRunQueueWait: dbQueue,
          nodeCpu: nodeSummary,
          cpuSum,
          counts: { ...counts, ...rows },
          benchProcessRssBytes: process.memoryUsage().rss,
        },
      };
    } finally {
      await pool.end();
    }
  },
};
