import { performance } from 'node:perf_hooks';

import type { DatabasePool } from 'slonik';

import { CHANNELS } from '../db/channels.js';
import type { Listener } from '../db/listener.js';
import type { Logger } from '../log/logger.js';
import type { enqueueNotification } from '../notifications/enqueue.js';
import type { Component } from '../service/component.js';
import { WakeLoop } from '../service/wake-loop.js';
import type { Clock } from '../util/clock.js';
import { type Execution, LifecycleExecutor } from './executor.js';
import type { LifecycleMetrics } from './metrics.js';
import { scheduleTick } from './scheduler.js';

export interface LifecycleServiceOptions {
  readonly pool: DatabasePool;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Wake-ups (CHANNELS.lifecycle); without it the service only ticks on its interval. */
  readonly listener?: Listener;
  readonly metrics?: LifecycleMetrics;
  readonly intervalMs: number;
  readonly activeWindowMs: number;
  /** Started jobs older than this are failed as abandoned. */
  readonly jobTimeoutMs: number;
  /** Finished jobs older than this are deleted (checked hourly). Default: kept forever. */
  readonly jobRetentionMs?: number;
  readonly workerId?: string;
  readonly concurrency?: number;
  /** Injectable for tests of the reminder's failure path. */
  readonly enqueue?: typeof enqueueNotification;
}

/** What one tick did (the seeds' Stats), kept for tests and logged. */
export interface TickStats {
  /** The tick's decision time (not truncated: a deadline fires on the first tick at or after it). */
  readonly tick: Date;
  /** False when another replica scheduled this tick (this one only executed). */
  readonly scheduled: boolean;
  readonly candidates: number;
  readonly jobsCreated: number;
  /** Pending jobs canceled because their reason disappeared: workspace id -> operation. */
  readonly canceled: ReadonlyMap<string, string>;
  /** Transitions made by this replica's executor: workspace id -> "operation (reason)". */
  readonly transitions: ReadonlyMap<string, string>;
  /** Jobs that found nothing to do: workspace id -> why. */
  readonly skipped: ReadonlyMap<string, string>;
  /** Reminders enqueued: workspace id -> the stop instant. */
  readonly reminders: ReadonlyMap<string, Date>;
  /** Failed jobs and reminders: workspace id -> error. */
  readonly errors: ReadonlyMap<string, string>;
  readonly executions: readonly Execution[];
  readonly abandoned: number;
  readonly elapsedMs: number;
  /** When something becomes due next, within the interval (null: nothing known, or not scheduled). */
  readonly nextDueAt: Date | null;
}

const PURGE_EVERY_MS = 3_600_000;
const HISTORY = 50;

/**
 * The lifecycle in `run`: every `intervalMs`, at the earliest instant something becomes due, and
 * soon after CHANNELS.lifecycle fires, one tick:
 * schedule (one replica at a time), run the due lifecycle jobs (every replica), fail abandoned
 * ones. Ticks never overlap within a process; `tick(at)` runs one directly (tests drive it).
 */
export class LifecycleService implements Component {
  readonly name = 'lifecycle';
  readonly executor: LifecycleExecutor;
  /** The latest ticks' stats, newest last. */
  readonly history: TickStats[] = [];
  readonly #o: LifecycleServiceOptions;
  readonly #log: Logger;
  readonly #loop: WakeLoop;
  #running: Promise<TickStats> | undefined;
  #lastPurge = -Infinity;

  constructor(options: LifecycleServiceOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'lifecycle' });
    this.executor = new LifecycleExecutor({
      pool: options.pool,
      logger: options.logger,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.workerId ? { workerId: options.workerId } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    });
    this.#loop = new WakeLoop({
      // The next tick comes at the earliest instant something becomes due, or after the interval.
      round: async () => {
        const stats = await this.tick(this.#o.clock.now());
        return stats.nextDueAt ? stats.nextDueAt.getTime() - this.#o.clock.now().getTime() : null;
      },
      intervalMs: options.intervalMs,
      log: this.#log,
      what: 'lifecycle tick',
      ...(options.listener ? { listener: options.listener } : {}),
      channels: [{ channel: CHANNELS.lifecycle }],
    });
  }

  get lastStats(): TickStats | undefined {
    return this.history[this.history.length - 1];
  }

  async start(): Promise<void> {
    this.#loop.start();
    this.#log.info(
      { interval_ms: this.#o.intervalMs, worker: this.executor.workerId },
      'lifecycle executor started',
    );
  }

  /** Stops ticking; a tick in progress finishes (its jobs are short transactions). */
  async stop(deadline: Date): Promise<void> {
    // A tick cut off by the deadline leaves started jobs; another replica fails them after the
    // job timeout.
    await this.#loop.stop(deadline);
  }

  /** Tick as soon as possible (a lifecycle job was written or a schedule changed). */
  wake(): void {
    this.#loop.wake();
  }

  /** One tick at `at` (decisions at `at`). Waits for a running one first. */
  async tick(at: Date = this.#o.clock.now()): Promise<TickStats> {
    while (this.#running) await this.#running.catch(() => undefined);
    const running = this.#tick(at);
    this.#running = running;
    try {
      return await running;
    } finally {
      this.#running = undefined;
    }
  }

  async #tick(at: Date): Promise<TickStats> {
    const started = performance.now();
    // Deadlines are instants: no truncation to the minute (a 12:00:30 deadline stops on the first
    // tick at or after 12:00:30). Autostart fires at cron instants, which are whole minutes, so a
    // start is still never early.
    const tick = at;
    const schedule = await scheduleTick(
      {
        pool: this.#o.pool,
        logger: this.#o.logger,
        activeWindowMs: this.#o.activeWindowMs,
        lookAheadMs: this.#o.intervalMs,
        ...(this.#o.metrics ? { metrics: this.#o.metrics } : {}),
        ...(this.#o.enqueue ? { enqueue: this.#o.enqueue } : {}),
      },
      tick,
    );
    const executions = await this.executor.runDue(tick, at);
    const abandoned = await this.executor.recoverAbandoned(at, this.#o.jobTimeoutMs);
    if (this.#o.jobRetentionMs !== undefined && at.getTime() - this.#lastPurge >= PURGE_EVERY_MS) {
      this.#lastPurge = at.getTime();
      await this.executor.purgeFinished(at, this.#o.jobRetentionMs);
    }
    const elapsedMs = performance.now() - started;
    this.#o.metrics?.tickDuration.observe(elapsedMs / 1000);

    const transitions = new Map<string, string>();
    const skipped = new Map<string, string>();
    const errors = new Map<string, string>(schedule.reminderErrors);
    for (const execution of executions) {
      const label = `${execution.operation} (${execution.reason})`;
      if (execution.outcome === 'built' || execution.outcome === 'marked') {
        transitions.set(execution.workspaceId, label);
      } else if (execution.outcome === 'failed') {
        errors.set(execution.workspaceId, execution.error ?? execution.detail);
      } else {
        skipped.set(execution.workspaceId, execution.detail);
      }
    }
    const stats: TickStats = {
      tick,
      scheduled: schedule.scheduled,
      candidates: schedule.candidates,
      jobsCreated: schedule.created.length,
      canceled: schedule.canceled,
      transitions,
      skipped,
      reminders: schedule.reminders,
      errors,
      executions,
      abandoned,
      elapsedMs,
      nextDueAt: schedule.nextDueAt,
    };
    this.history.push(stats);
    if (this.history.length > HISTORY) this.history.shift();
    this.#report(stats);
    return stats;
  }

  #report(stats: TickStats): void {
    const fields = {
      tick: stats.tick.toISOString(),
      candidates: stats.candidates,
      jobs_created: stats.jobsCreated,
      canceled: Object.fromEntries(stats.canceled),
      transitions: Object.fromEntries(stats.transitions),
      reminders: Object.fromEntries([...stats.reminders].map(([id, at]) => [id, at.toISOString()])),
      errors: Object.fromEntries(stats.errors),
      abandoned: stats.abandoned,
      elapsed_ms: Math.round(stats.elapsedMs),
    };
    const happened =
      stats.transitions.size + stats.reminders.size + stats.canceled.size + stats.abandoned > 0;
    if (stats.errors.size > 0) this.#log.warn(fields, 'lifecycle tick had errors');
    else if (happened) this.#log.info(fields, 'lifecycle tick');
    else this.#log.debug(fields, 'lifecycle tick');
  }
}
