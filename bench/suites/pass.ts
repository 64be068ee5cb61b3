import { createDbPool } from '../../src/db/pool.js';
import { LOCKS, tryAdvisoryXactLock } from '../../src/db/locks.js';
import { withTransaction } from '../../src/db/tx.js';
import { DEFAULT_PREBUILD_OPTIONS } from '../../src/domain/prebuilds/options.js';
import { planAll } from '../../src/domain/prebuilds/plan.js';
import type { DesiredResolver } from '../../src/domain/schedule/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { loadSnapshot } from '../../src/prebuilds/snapshot.js';
import { summarize } from '../stats.js';
import type { BenchSuite } from './types.js';

/**
 * Stand-in for the schedule evaluator (issue 3) until it lands: `instances`, no cron. Seeded
 * presets do carry schedules, so the snapshot reads them; the evaluator's own cost is its
 * benchmark's business. Swap in the real resolver here when it exists.
 */
const resolver: DesiredResolver = (config) => ({ desired: config.instances, schedule: null });

/**
 * A whole reconciliation pass as the reconciler will run it: REPEATABLE READ READ ONLY
 * transaction, try-lock, snapshot (six queries), then the pure decision for every preset.
 */
export const reconcilePass: BenchSuite = {
  name: 'reconcile-pass',
  description: 'snapshot + decide, one REPEATABLE READ READ ONLY transaction',
  async run({ url, runs }) {
    const pool = await createDbPool(url, { logger: silentLogger(), maximumPoolSize: 2 });
    const options = DEFAULT_PREBUILD_OPTIONS;
    const snapshotMs: number[] = [];
    const decideMs: number[] = [];
    const passMs: number[] = [];
    let counts: Record<string, number> = {};
    try {
      for (let i = 0; i < runs + 3; i++) {
        const started = performance.now();
        let afterSnapshot = 0;
        let afterDecide = 0;
        const now = new Date();
        await withTransaction(
          pool,
          { isolation: 'repeatable read', readOnly: true },
          async (tx) => {
            const beforeSnapshot = performance.now();
            if (!(await tryAdvisoryXactLock(tx, LOCKS.reconcile))) throw new Error('lock held');
            const snapshot = await loadSnapshot(tx, now, options);
            afterSnapshot = performance.now();
            const plans = planAll(snapshot, now, options, resolver);
            afterDecide = performance.now();
            snapshotMs.push(afterSnapshot - beforeSnapshot);
            counts = {
              presets: plans.length,
              running: snapshot.running.length,
              stoppedOrFailed: snapshot.stoppedOrFailed.length,
              creates: plans.reduce(
                (n, p) =>
                  n + p.actions.reduce((m, a) => m + (a.type === 'create' ? a.count : 0), 0),
                0,
              ),
              deletes: plans.reduce(
                (n, p) =>
                  n +
                  p.actions.reduce(
                    (m, a) => m + (a.type === 'delete' ? a.workspaceIds.length : 0),
                    0,
                  ),
                0,
              ),
              backoffs: plans.filter((p) => p.actions.some((a) => a.type === 'backoff')).length,
              hardLimited: plans.filter((p) => p.state.hardLimited).length,
              cancelPending: plans.filter((p) => p.actions.some((a) => a.type === 'cancel_pending'))
                .length,
            };
          },
        );
        decideMs.push(afterDecide - afterSnapshot);
        passMs.push(performance.now() - started);
      }
      // The first three were warm-up.
      const snapshot = summarize(snapshotMs.slice(3));
      const decide = summarize(decideMs.slice(3));
      const pass = summarize(passMs.slice(3));
      const rss = process.memoryUsage().rss;
      return {
        rows: [
          { metric: 'pass (tx + lock + snapshot + decide) median', value: pass.median, unit: 'ms' },
          { metric: 'pass p95', value: pass.p95, unit: 'ms' },
          { metric: 'snapshot median', value: snapshot.median, unit: 'ms' },
          { metric: 'decide median', value: decide.median, unit: 'ms' },
          {
            metric: 'presets / running / to create / to delete',
            value: `${counts.presets} / ${counts.running} / ${counts.creates} / ${counts.deletes}`,
          },
        ],
        details: { pass, snapshot, decide, counts, benchProcessRssBytes: rss },
      };
    } finally {
      await pool.end();
    }
  },
};
