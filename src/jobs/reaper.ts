import { z } from 'zod';

import { type Db, defineQuery } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import { notifyAutomaticBuildOutcomes } from '../lifecycle/outcomes.js';
import type { Logger } from '../log/logger.js';
import type { Component } from '../service/component.js';
import type { Clock } from '../util/clock.js';
import { formatDuration } from '../util/duration.js';
import { notifyJobsCompleted } from './complete.js';
import type { JobMetrics } from './metrics.js';
import { JOB_ERROR_CODES } from './model.js';

const Reaped = z.object({
  job_id: z.string(),
  provisioner: z.string(),
  type: z.string(),
  started_at: z.date().nullable(),
  completed_at: z.date().nullable(),
  workspace_id: z.string().nullable(),
  preset_id: z.string().nullable(),
});
const reapQuery = defineQuery<
  { now: Date; cutoff: Date; limit: number; timeout_text: string },
  typeof Reaped
>('ReapStaleProvisionerJobs', Reaped);

const deleteStaleDaemons = defineQuery<{ cutoff: Date }>(
  'DeleteStaleProvisionerDaemons',
  z.object({}),
);

export interface ReaperOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Running jobs without a heartbeat for this long are failed. */
  readonly timeoutMs: number;
  /** Default: a fifth of the timeout, between 1 s and 30 s. */
  readonly intervalMs?: number;
  /** Daemons not seen for this long are forgotten (default 7 days). */
  readonly daemonRetentionMs?: number;
  readonly metrics?: JobMetrics;
}

const BATCH = 100;

/**
 * Fails running jobs whose heartbeat stopped (their daemon died or lost the database), so nothing
 * stays "running" forever. Every replica may run one: the statement skips rows another replica is
 * reaping, and each job is failed once, with a NOTIFY for the reconciler.
 */
export class JobReaper implements Component {
  readonly name = 'job-reaper';
  readonly #options: ReaperOptions;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<unknown> = Promise.resolve();

  constructor(options: ReaperOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'job-reaper' });
  }

  async start(): Promise<void> {
    const interval =
      this.#options.intervalMs ?? Math.min(30_000, Math.max(1_000, this.#options.timeoutMs / 5));
    this.#timer = setInterval(() => {
      this.#tick = this.reapOnce().catch((error: unknown) =>
        this.#log.warn({ err: error }, 'reaping stale jobs failed'),
      );
    }, interval);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#tick;
  }

  /** One pass: fails every stale running job; returns their ids. */
  async reapOnce(): Promise<string[]> {
    const { db, clock, timeoutMs, metrics } = this.#options;
    const reaped: string[] = [];
    for (;;) {
      const now = clock.now();
      const rows = await withTransaction(db, {}, async (tx) => {
        const batch = await reapQuery.any(tx, {
          now,
          cutoff: new Date(now.getTime() - timeoutMs),
          limit: BATCH,
          timeout_text: formatDuration(timeoutMs),
        });
        await notifyJobsCompleted(
          tx,
          batch.map((row) => ({
            job_id: row.job_id,
            workspace_id: row.workspace_id,
            preset_id: row.preset_id,
            status: 'failed',
          })),
        );
        await notifyAutomaticBuildOutcomes(
          tx,
          batch.filter((row) => row.workspace_id !== null).map((row) => row.job_id),
          now,
        );
        return batch;
      });
      for (const row of rows) {
        const labels = { provisioner: row.provisioner, type: row.type };
        metrics?.reaped.inc(labels);
        metrics?.failed.inc({ ...labels, error_code: JOB_ERROR_CODES.heartbeatTimeout });
        reaped.push(row.job_id);
      }
      if (rows.length > 0) {
        this.#log.warn(
          { jobs: rows.map((row) => row.job_id), timeout: formatDuration(timeoutMs) },
          'failed running jobs whose heartbeat stopped',
        );
      }
      if (rows.length < BATCH) break;
    }
    const retention = this.#options.daemonRetentionMs ?? 7 * 24 * 3_600_000;
    await deleteStaleDaemons.exec(db, { cutoff: new Date(clock.now().getTime() - retention) });
    return reaped;
  }
}
