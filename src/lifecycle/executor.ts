import { randomUUID } from 'node:crypto';

import type { DatabasePool } from 'slonik';

import { isUniqueViolation } from '../db/errors.js';
import { LOCKS, tryAdvisoryXactLock } from '../db/locks.js';
import type { Db } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import { nextTransition } from '../domain/lifecycle/index.js';
import { EnqueueError } from '../jobs/enqueue.js';
import { sleep } from '../jobs/sleep.js';
import type { Logger } from '../log/logger.js';
import { type Execution, performJob, type Performed } from './perform.js';
import type { LifecycleMetrics } from './metrics.js';
import {
  type AcquiredJob,
  acquireLifecycleJobs,
  completeLifecycleJob,
  deleteOldLifecycleJobs,
  failAbandonedLifecycleJobs,
  failLifecycleJob,
  insertLifecycleJobLog,
  insertLifecycleJobLogs,
  lifecycleStateByWorkspace,
  type LogLevel,
} from './queries.js';
import { toLifecycleState } from './state.js';

export type { Execution } from './perform.js';

export interface ExecutorOptions {
  readonly pool: DatabasePool;
  readonly logger: Logger;
  readonly metrics?: LifecycleMetrics;
  readonly workerId?: string;
  /** Jobs taken per acquisition statement (default 10). */
  readonly batchSize?: number;
  /** Jobs executed at once (default 10; each holds one connection briefly). */
  readonly concurrency?: number;
  /** Tries to take a workspace's lock held by an API call or a reminder (default 5, 50 ms apart). */
  readonly lockAttempts?: number;
}

const BUILD_NUMBER_KEY = 'workspace_builds_workspace_id_build_number_key';

/** Another transaction holds the workspace's advisory lock. */
class WorkspaceBusy extends Error {}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs due lifecycle jobs. Every replica runs one: a job is taken by one executor only (the
 * acquisition statement marks it started under FOR UPDATE SKIP LOCKED), then re-checked and
 * carried out under the workspace's advisory lock in a REPEATABLE READ transaction (perform.ts),
 * completed in that same transaction, and every step is logged to workspace_lifecycle_job_logs.
 */
export class LifecycleExecutor {
  readonly workerId: string;
  readonly #o: ExecutorOptions;
  readonly #log: Logger;

  constructor(options: ExecutorOptions) {
    this.#o = options;
    this.workerId = options.workerId ?? `lifecycle-${randomUUID().slice(0, 8)}`;
    this.#log = options.logger.child({ component: 'lifecycle-executor', worker: this.workerId });
  }

  /**
   * Takes and runs due jobs until none is left. `tick` is the decision time;
   * `now` stamps what is written (job times, builds).
   */
  async runDue(tick: Date, now: Date = tick): Promise<Execution[]> {
    const batchSize = this.#o.batchSize ?? 10;
    const done: Execution[] = [];
    for (;;) {
      const jobs = await acquireLifecycleJobs.any(this.#o.pool, { now: tick, limit: batchSize });
      if (jobs.length > 0) {
        await insertLifecycleJobLogs.exec(this.#o.pool, {
          now,
          job_ids: jobs.map((job) => job.id),
          levels: jobs.map(() => 'info' as const),
          outputs: jobs.map(() => `started by executor ${this.workerId}`),
        });
      }
      done.push(...(await this.#runAll(jobs, tick, now)));
      if (jobs.length < batchSize) return done;
    }
  }

  async #runAll(jobs: readonly AcquiredJob[], tick: Date, now: Date): Promise<Execution[]> {
    const results: Execution[] = [];
    const queue = [...jobs];
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        results.push(await this.execute(job, tick, now));
      }
    };
    const concurrency = Math.max(1, this.#o.concurrency ?? 10);
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
    return results;
  }

  /** One started job: never throws; every problem ends up as the job's error. */
  async execute(job: AcquiredJob, tick: Date, now: Date): Promise<Execution> {
    const log = this.#log.child({
      job_id: job.id,
      workspace_id: job.workspace_id,
      operation: job.operation,
      reason: job.reason,
    });
    let result: Execution;
    try {
      result = await this.#attempt(job, tick, now);
    } catch (error) {
      if (
        isUniqueViolation(error, BUILD_NUMBER_KEY) ||
        (error instanceof EnqueueError && error.code === 'build_in_progress')
      ) {
        // Another replica or an API call inserted a build between our check and our insert.
        result = await this.#finishSkipped(
          job,
          now,
          'skipped: a concurrent build was created for the workspace',
        );
      } else {
        result = await this.#fail(job, now, error);
      }
    }
    this.#o.metrics?.jobs.inc({ outcome: result.outcome });
    if (result.outcome === 'built' || result.outcome === 'marked') {
      this.#o.metrics?.transitions.inc({ operation: job.operation, reason: job.reason });
      log.info({ build_id: result.buildId, detail: result.detail }, 'lifecycle transition');
    } else if (result.outcome === 'failed') {
      log.error({ error: result.error }, 'lifecycle job failed');
    } else {
      log.debug({ detail: result.detail }, 'lifecycle job skipped');
    }
    return result;
  }

  async #attempt(job: AcquiredJob, tick: Date, now: Date): Promise<Execution> {
    const attempts = this.#o.lockAttempts ?? 5;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await withTransaction(
          this.#o.pool,
          { isolation: 'repeatable read', retries: 2 },
          (tx) => this.#inTransaction(tx, job, tick, now),
        );
      } catch (error) {
        if (!(error instanceof WorkspaceBusy) || attempt >= attempts) throw error;
        await sleep(50 * attempt);
      }
    }
  }

  async #inTransaction(tx: Db, job: AcquiredJob, tick: Date, now: Date): Promise<Execution> {
    if (!(await tryAdvisoryXactLock(tx, LOCKS.workspace(job.workspace_id)))) {
      throw new WorkspaceBusy(
        'the workspace is locked by another operation (API call or reminder); a later tick retries',
      );
    }
    const row = await lifecycleStateByWorkspace.maybeOne(tx, { workspace_id: job.workspace_id });
    let performed: Performed;
    if (!row) {
      performed = { outcome: 'skipped', detail: 'skipped: the workspace is deleted' };
    } else {
      const state = toLifecycleState(row);
      const decision = nextTransition(
        state.workspace,
        state.latestBuild,
        state.job,
        state.template,
        state.owner,
        tick,
      );
      performed = await performJob(tx, { job, row, decision, now });
    }
    const completed = await completeLifecycleJob.maybeOne(tx, {
      id: job.id,
      now,
      build_id: performed.buildId ?? null,
      outcome: performed.detail,
    });
    if (!completed) throw new Error('the lifecycle job was completed or canceled meanwhile');
    await this.#logLine(tx, job.id, now, 'info', performed.detail);
    return {
      jobId: job.id,
      workspaceId: job.workspace_id,
      operation: job.operation,
      reason: job.reason,
      ...performed,
    };
  }

  async #finishSkipped(job: AcquiredJob, now: Date, detail: string): Promise<Execution> {
    try {
      await completeLifecycleJob.maybeOne(this.#o.pool, {
        id: job.id,
        now,
        build_id: null,
        outcome: detail,
      });
      await this.#logLine(this.#o.pool, job.id, now, 'info', detail);
    } catch (error) {
      return this.#fail(job, now, error);
    }
    return {
      jobId: job.id,
      workspaceId: job.workspace_id,
      operation: job.operation,
      reason: job.reason,
      outcome: 'skipped',
      detail,
    };
  }

  async #fail(job: AcquiredJob, now: Date, error: unknown): Promise<Execution> {
    const text = message(error);
    try {
      await failLifecycleJob.maybeOne(this.#o.pool, { id: job.id, now, error: text });
      await this.#logLine(this.#o.pool, job.id, now, 'error', `failed: ${text}`);
    } catch (recordError) {
      // The job stays started; recoverAbandoned fails it after the job timeout.
      this.#log.error(
        { err: recordError, job_id: job.id },
        'could not record a lifecycle job error',
      );
    }
    return {
      jobId: job.id,
      workspaceId: job.workspace_id,
      operation: job.operation,
      reason: job.reason,
      outcome: 'failed',
      detail: `failed: ${text}`,
      error: text,
    };
  }

  async #logLine(db: Db, jobId: string, now: Date, level: LogLevel, output: string) {
    await insertLifecycleJobLog.one(db, { job_id: jobId, now, level, output });
  }

  /**
   * Fails jobs started more than `timeoutMs` before `now` and never finished (their executor
   * died), so their workspace's open-job slot is free for the next tick. Safe on every replica.
   */
  /**
   * Retention: deletes finished jobs (and their logs) older than `retentionMs`, a bounded batch
   * per call. Safe on every replica (rows deleted twice are simply not found).
   */
  async purgeFinished(now: Date, retentionMs: number, maxRows = 1000): Promise<number> {
    const deleted = await deleteOldLifecycleJobs.any(this.#o.pool, {
      before: new Date(now.getTime() - retentionMs),
      max_rows: maxRows,
    });
    if (deleted.length > 0)
      this.#log.info({ deleted: deleted.length }, 'old lifecycle jobs deleted');
    return deleted.length;
  }

  async recoverAbandoned(now: Date, timeoutMs: number): Promise<number> {
    const failed = await failAbandonedLifecycleJobs.any(this.#o.pool, {
      now,
      started_before: new Date(now.getTime() - timeoutMs),
    });
    if (failed.length === 0) return 0;
    await insertLifecycleJobLogs.exec(this.#o.pool, {
      now,
      job_ids: failed.map((job) => job.id),
      levels: failed.map(() => 'error' as const),
      outputs: failed.map(
        () => `abandoned: not finished within ${Math.round(timeoutMs / 1000)} s of its start`,
      ),
    });
    this.#o.metrics?.jobs.inc({ outcome: 'abandoned' }, failed.length);
    this.#log.warn({ jobs: failed.map((job) => job.id) }, 'failed abandoned lifecycle jobs');
    return failed.length;
  }
}
