import type { DatabasePool } from 'slonik';

import { FallbackLog } from '../autoscaling/fallback-log.js';
import { AutoscalingInputs } from '../autoscaling/inputs.js';
import { CHANNELS } from '../db/channels.js';
import type { Listener } from '../db/listener.js';
import { LOCKS, tryAdvisoryXactLock } from '../db/locks.js';
import { withTransaction } from '../db/tx.js';
import type { PrebuildOptions } from '../domain/prebuilds/options.js';
import { nextChangeAt } from '../domain/prebuilds/next-change.js';
import { planAll } from '../domain/prebuilds/plan.js';
import { resolveDesired } from '../domain/schedule/evaluate.js';
import type { DesiredResolver } from '../domain/schedule/types.js';
import type { Logger } from '../log/logger.js';
import type { Component } from '../service/component.js';
import { WakeLoop } from '../service/wake-loop.js';
import type { Clock } from '../util/clock.js';
import { executePlans } from './execute.js';
import type { PrebuildMetrics } from './metrics.js';
import {
  type Attempt,
  logPass,
  passStats,
  type PassStats,
  recordPassMetrics,
} from './pass-stats.js';
import {
  readReconciliationPause,
  readReconcileGeneration,
  writeReconcileGeneration,
} from './settings.js';
import { loadSnapshot } from './snapshot.js';
import type { StateViewCache } from './state-view.js';

export type { PassOutcome, PassStats } from './pass-stats.js';

/**
 * Under a stream of wake-ups (claims NOTIFY, builds finishing), passes take at most this share of
 * the time: after a pass of T ms, the next woken one waits 4T (at least the debounce). At 1k
 * workspaces (a 17 ms pass) the debounce still decides; at 100k (about 95 ms) passes come at
 * most every ~0.5 s instead of back to back under 5 claims a second, which cut the controller's
 * CPU there by 40% (58 to 35 s over 3 minutes, bench rss); at 1M (1 s) every 5 s. Due passes (the interval, a
 * schedule or backoff ending) never wait.
 */
const RECONCILER_BUSY_SHARE = 0.2;

export interface ReconcilerOptions {
  readonly db: DatabasePool;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly options: PrebuildOptions;
  /** Period of the pass. */
  readonly intervalMs: number;
  /** How many actions run at once; default min(5, pool size / 2), at least 1. */
  readonly concurrency?: number;
  /** NOTIFY wake-ups; without it the reconciler only runs on its interval. */
  readonly listener?: Listener;
  readonly metrics?: PrebuildMetrics;
  readonly stateCache?: StateViewCache;
  readonly resolveDesired?: DesiredResolver;
  /**
   * Read half the snapshot on a second connection under the same snapshot (loadSnapshot's
   * `parallel`). Default true: the second connection is only held during the read, before any
   * action runs, and brings a pass at 100k workspaces from ~125 to ~85 ms on 2 cores.
   */
  readonly parallelSnapshot?: boolean;
  /** After a wake-up, wait this long for more before passing: a burst of NOTIFYs is one pass. */
  readonly debounceMs?: number;
  /** Autoscaling inputs with their cache (share it with the state view); default: its own. */
  readonly autoscaling?: AutoscalingInputs;
}

/**
 * The prebuild reconciler: a pass every `intervalMs`, and one soon after a NOTIFY on the
 * reconcile channel (template pushed, prebuild claimed, pause changed, agents ready) or on job
 * completion, and after the listener reconnects (notifications were lost). Wake-ups that arrive
 * during a pass make one more pass, never one per notification.
 *
 * A pass (`reconcileOnce`): REPEATABLE READ READ ONLY transaction, pg_try_advisory_xact_lock
 * (another replica reconciling: skip quietly), pause check, snapshot, the pure decision for
 * every preset, then the actions, each in its own short transaction on the pool, while the lock
 * transaction stays open so no other replica decides from a snapshot without them.
 */
export class PrebuildReconciler implements Component {
  readonly name = 'prebuild-reconciler';
  readonly #o: ReconcilerOptions;
  readonly #log: Logger;
  readonly #concurrency: number;
  readonly #loop: WakeLoop;
  #lastStats: PassStats | undefined;
  readonly #autoscaling: AutoscalingInputs;
  readonly #fallbacks = new FallbackLog();

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'prebuild-reconciler' });
    this.#autoscaling = options.autoscaling ?? new AutoscalingInputs();
    const poolSize = options.db.configuration.maximumPoolSize ?? 10;
    this.#concurrency = Math.max(1, options.concurrency ?? Math.min(5, Math.floor(poolSize / 2)));
    this.#loop = new WakeLoop({
      // reconcileOnce never throws: a failed pass is counted and logged there.
      // The next pass comes when the snapshot's decisions next change (a backoff ends, a TTL
      // passes, a schedule changes, a grace period ends), or after the interval if sooner.
      round: async () => {
        const stats = await this.reconcileOnce();
        return stats.nextChangeAt
          ? stats.nextChangeAt.getTime() - this.#o.clock.now().getTime()
          : null;
      },
      intervalMs: options.intervalMs,
      debounceMs: options.debounceMs ?? 100,
      busyShare: RECONCILER_BUSY_SHARE,
      log: this.#log,
      what: 'reconciliation pass',
      ...(options.listener ? { listener: options.listener } : {}),
      channels: [
        { channel: CHANNELS.reconcile },
        { channel: CHANNELS.jobCompleted, when: concernsPrebuilds },
      ],
    });
  }

  get concurrency(): number {
    return this.#concurrency;
  }

  /** The last pass's stats (undefined before the first). */
  get lastStats(): PassStats | undefined {
    return this.#lastStats;
  }

  async start(): Promise<void> {
    this.#loop.start();
    this.#log.info(
      { intervalMs: this.#o.intervalMs, concurrency: this.#concurrency },
      'prebuild reconciler started',
    );
  }

  async stop(deadline: Date): Promise<void> {
    // A pass in flight finishes its short transactions; past the deadline we stop waiting.
    await this.#loop.stop(deadline);
  }

  /** Ask for a pass soon (coalesced with any other request). */
  wake(): void {
    this.#loop.wake();
  }

  /** One pass at `now` (default: the clock). Never throws: failures are counted and logged. */
  async reconcileOnce(now: Date = this.#o.clock.now()): Promise<PassStats> {
    const started = performance.now();
    let attempt: Attempt | undefined;
    let failed = false;
    try {
      // A stale snapshot (see readReconcileGeneration) is retried once, at once.
      for (let i = 0; i < 2; i++) {
        attempt = await this.#attempt(now);
        if (attempt.kind !== 'stale') break;
        this.#log.debug('snapshot predates the previous pass; retrying with a fresh one');
      }
    } catch (error) {
      failed = true;
      this.#log.error({ err: error }, 'reconciliation pass failed');
    }
    const elapsedMs = performance.now() - started;
    const stats = passStats(now, failed ? undefined : attempt, elapsedMs);
    this.#record(stats);
    return stats;
  }

  async #attempt(now: Date): Promise<Attempt> {
    const { db, options } = this.#o;
    return withTransaction(db, { isolation: 'repeatable read', readOnly: true }, async (tx) => {
      if (!(await tryAdvisoryXactLock(tx, LOCKS.reconcile))) return { kind: 'locked' };
      const [seen, committed] = await Promise.all([
        readReconcileGeneration(tx),
        readReconcileGeneration(db),
      ]);
      if (seen !== committed) return { kind: 'stale' };
      const pause = await readReconciliationPause(tx);
      if (pause.paused) return { kind: 'paused' };

      const parallel = this.#o.parallelSnapshot ?? true;
      const snapshot = await loadSnapshot(
        tx,
        now,
        options,
        parallel ? db : undefined,
        this.#autoscaling,
      );
      const plans = planAll(snapshot, now, options, this.#o.resolveDesired ?? resolveDesired);
      this.#fallbacks.report(plans, this.#log);
      const acted = await executePlans(plans, {
        db,
        log: this.#log,
        options,
        now,
        concurrency: this.#concurrency,
      });
      for (const [kind, count] of Object.entries(acted.errorsByKind)) {
        if (count > 0) this.#o.metrics?.errors.inc({ kind }, count);
      }
      const wrote = acted.created + acted.deleted + acted.canceled + acted.statusChanges > 0;
      if (wrote) {
        // Before the lock is released (this transaction ends): see readReconcileGeneration.
        await writeReconcileGeneration(db, committed + 1, now);
        this.#o.stateCache?.invalidate();
      } else {
        const pauseChange = { by: pause.changed_by, at: pause.changed_at };
        this.#o.stateCache?.put({ at: now, paused: false, pauseChange, plans });
      }
      const backingOff = plans.filter((plan) => plan.state.backoffUntil !== null).length;
      const next = nextChangeAt(snapshot, plans, now);
      return { kind: 'reconciled', presets: plans.length, backingOff, acted, nextChangeAt: next };
    });
  }

  #record(stats: PassStats): void {
    this.#lastStats = stats;
    if (this.#o.metrics) recordPassMetrics(this.#o.metrics, stats);
    logPass(this.#log, stats);
  }
}

/** A job completion the reconciler cares about: one of a preset's builds (or unknown). */
function concernsPrebuilds(payload: string): boolean {
  try {
    const parsed = JSON.parse(payload) as { preset_id?: unknown };
    return typeof parsed.preset_id === 'string';
  } catch {
    return true;
  }
}
