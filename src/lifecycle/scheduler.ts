import type { DatabasePool } from 'slonik';

import { CHANNELS } from '../db/channels.js';
import { LOCKS, tryAdvisoryXactLock } from '../db/locks.js';
import type { Db } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import { notify } from '../jobs/notify.js';
import type { Logger } from '../log/logger.js';
import type { enqueueNotification } from '../notifications/enqueue.js';
import type { LifecycleMetrics } from './metrics.js';
import { type PlannedJob, planTick, type TickPlan } from './plan.js';
import {
  cancelStaleLifecycleJobs,
  insertLifecycleJobLogs,
  insertLifecycleJobs,
  lifecycleCandidates,
  lifecycleNextDue,
  type LogLevel,
  setWorkspacesNextStartAt,
} from './queries.js';
import { remindAutostop } from './reminder.js';

export interface SchedulerDeps {
  readonly pool: DatabasePool;
  readonly logger: Logger;
  readonly activeWindowMs: number;
  readonly metrics?: LifecycleMetrics;
  /** Injectable for tests of the reminder's failure path. */
  readonly enqueue?: typeof enqueueNotification;
  /**
   * Look this far ahead for the next due instant (`nextDueAt`); the service passes its interval.
   * Default 0: not looked up.
   */
  readonly lookAheadMs?: number;
}

export interface ScheduleResult {
  /** False when another replica ran this tick's scheduling (it holds the scheduler lock). */
  readonly scheduled: boolean;
  readonly candidates: number;
  readonly created: readonly PlannedJob[];
  /** Pending jobs canceled because their reason disappeared: workspace id -> operation. */
  readonly canceled: ReadonlyMap<string, string>;
  /** Reminders enqueued this tick: workspace id -> the stop instant it announces. */
  readonly reminders: ReadonlyMap<string, Date>;
  /** Reminders that could not be enqueued (re-armed for a later tick): workspace id -> error. */
  readonly reminderErrors: ReadonlyMap<string, string>;
  readonly nextStartsRefreshed: number;
  /**
   * The earliest instant after this tick at which a rule may start to hold (within
   * `lookAheadMs`), or null: the service ticks again then instead of waiting for its interval.
   */
  readonly nextDueAt: Date | null;
}

const iso = (at: Date) => at.toISOString();

async function writeLogs(
  tx: Db,
  now: Date,
  lines: readonly { jobId: string; level: LogLevel; output: string }[],
): Promise<void> {
  if (lines.length === 0) return;
  await insertLifecycleJobLogs.exec(tx, {
    now,
    job_ids: lines.map((line) => line.jobId),
    levels: lines.map((line) => line.level),
    outputs: lines.map((line) => line.output),
  });
}

/** The scheduler's read: the candidate rows and the pure decisions made from them. */
export interface TickRead {
  readonly candidates: number;
  readonly plan: TickPlan;
}

/** Reads the candidates and decides, inside the scheduler's transaction (lock held). */
export async function readTick(
  tx: Db,
  deps: Pick<SchedulerDeps, 'activeWindowMs'>,
  now: Date,
): Promise<TickRead> {
  const rows = await lifecycleCandidates.any(tx, { now, active_window_ms: deps.activeWindowMs });
  return {
    candidates: rows.length,
    plan: planTick(rows, now, { activeWindowMs: deps.activeWindowMs }),
  };
}

/**
 * Writes a tick's decisions in the scheduler's transaction: stale pending jobs canceled, new jobs
 * inserted (each re-checked against the state it was decided from, so a decision another
 * replica's executor carried out since the read gets no second job), their log lines, the cached
 * next starts, and a NOTIFY for the executors at commit.
 */
export async function writeTick(tx: Db, read: TickRead, now: Date) {
  const { plan } = read;
  const canceled = await cancelStaleLifecycleJobs.any(tx, {
    now,
    workspace_ids: plan.jobs.map((job) => job.workspaceId),
    operations: plan.jobs.map((job) => job.operation),
    reasons: plan.jobs.map((job) => job.reason),
  });
  const inserted =
    plan.jobs.length === 0
      ? []
      : await insertLifecycleJobs.any(tx, {
          now,
          workspace_ids: plan.jobs.map((job) => job.workspaceId),
          operations: plan.jobs.map((job) => job.operation),
          reasons: plan.jobs.map((job) => job.reason),
          deadlines: plan.jobs.map((job) => iso(job.deadline)),
          build_ids: plan.jobs.map((job) => job.buildId),
          open_job_ids: plan.jobs.map((job) => job.openJobId),
        });
  await writeLogs(tx, now, [
    ...canceled.map((job) => ({
      jobId: job.id,
      level: 'info' as const,
      output: `canceled by the scheduler: ${job.operation} (${job.reason}) is no longer due`,
    })),
    ...inserted.map((job) => ({
      jobId: job.id,
      level: 'info' as const,
      output: `scheduled: ${job.operation} (${job.reason}), due since ${iso(job.deadline)}`,
    })),
  ]);
  const refreshed =
    plan.nextStarts.length === 0
      ? []
      : await setWorkspacesNextStartAt.any(tx, {
          workspace_ids: plan.nextStarts.map((next) => next.workspaceId),
          next_start_ats: plan.nextStarts.map((next) => (next.at ? iso(next.at) : null)),
        });
  if (inserted.length > 0) await notify(tx, CHANNELS.lifecycle, [{}]);
  return { rows: read.candidates, plan, inserted, canceled, refreshed: refreshed.length };
}

/**
 * The scheduling half of a tick, on one replica at a time (transaction-scoped scheduler lock):
 * one candidate query, the pure decisions, stale pending jobs canceled and new ones inserted
 * (one statement each), missing or passed cached next starts refreshed, and a NOTIFY that wakes
 * the executors on every replica at commit. Then the due autostop reminders, each through the
 * seed-001 flow (its own locked transaction, enqueue after commit, re-arm on failure).
 */
export async function scheduleTick(deps: SchedulerDeps, now: Date): Promise<ScheduleResult> {
  const log = deps.logger.child({ component: 'lifecycle-scheduler' });
  const planned = await withTransaction(deps.pool, {}, async (tx) => {
    if (!(await tryAdvisoryXactLock(tx, LOCKS.lifecycleScheduler))) return null;
    const written = await writeTick(tx, await readTick(tx, deps, now), now);
    const lookAheadMs = deps.lookAheadMs ?? 0;
    const nextDueAt =
      lookAheadMs > 0
        ? (await lifecycleNextDue.one(tx, { now, horizon_ms: lookAheadMs })).next_due_at
        : null;
    return { ...written, nextDueAt };
  });
  if (!planned) {
    log.debug({ tick: iso(now) }, 'another replica is scheduling this tick');
    return {
      scheduled: false,
      candidates: 0,
      created: [],
      canceled: new Map(),
      reminders: new Map(),
      reminderErrors: new Map(),
      nextStartsRefreshed: 0,
      nextDueAt: null,
    };
  }
  deps.metrics?.jobs.inc({ outcome: 'canceled' }, planned.canceled.length);

  const reminders = new Map<string, Date>();
  const reminderErrors = new Map<string, string>();
  for (const workspaceId of planned.plan.reminders) {
    try {
      const result = await remindAutostop(
        {
          pool: deps.pool,
          logger: deps.logger,
          activeWindowMs: deps.activeWindowMs,
          ...(deps.enqueue ? { enqueue: deps.enqueue } : {}),
        },
        workspaceId,
        now,
      );
      if (
        result.outcome === 'sent' ||
        result.outcome === 'duplicate' ||
        result.outcome === 'failed'
      ) {
        deps.metrics?.reminders.inc({ outcome: result.outcome });
      }
      if ((result.outcome === 'sent' || result.outcome === 'duplicate') && result.autostopAt) {
        reminders.set(workspaceId, result.autostopAt);
      } else if (result.outcome === 'failed') {
        reminderErrors.set(workspaceId, 'the reminder could not be enqueued; re-armed');
      }
    } catch (error) {
      reminderErrors.set(workspaceId, error instanceof Error ? error.message : String(error));
      log.error({ err: error, workspace_id: workspaceId }, 'autostop reminder failed');
    }
  }
  return {
    scheduled: true,
    candidates: planned.rows,
    created: planned.inserted.map((job) => ({
      workspaceId: job.workspace_id,
      operation: job.operation,
      reason: job.reason as PlannedJob['reason'],
      deadline: job.deadline,
    })),
    canceled: new Map(planned.canceled.map((job) => [job.workspace_id, job.operation])),
    reminders,
    reminderErrors,
    nextStartsRefreshed: planned.refreshed,
    nextDueAt: planned.nextDueAt,
  };
}
