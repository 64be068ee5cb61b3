import type { DatabasePool } from 'slonik';

import { AutoscalingInputs } from '../autoscaling/inputs.js';
import type { Db } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import type { PrebuildOptions } from '../domain/prebuilds/options.js';
import { planAll, type PresetPlan } from '../domain/prebuilds/plan.js';
import { resolveDesired } from '../domain/schedule/evaluate.js';
import type { DesiredResolver } from '../domain/schedule/types.js';
import type { Clock } from '../util/clock.js';
import { isReconciliationPaused } from './settings.js';
import { loadSnapshot } from './snapshot.js';

/** Every preset's state and next actions at one instant, as the reconciler would decide them. */
export interface StateView {
  readonly at: Date;
  readonly paused: boolean;
  readonly plans: readonly PresetPlan[];
}

/**
 * A fresh view for status, plan and the gauges: the reconciler's snapshot and decision, in a
 * REPEATABLE READ READ ONLY transaction of its own, without the reconciliation lock (reading
 * never waits for a pass) and writing nothing.
 */
export async function loadStateView(
  db: Db,
  now: Date,
  options: PrebuildOptions,
  resolve: DesiredResolver = resolveDesired,
  autoscaling: AutoscalingInputs = new AutoscalingInputs(),
): Promise<StateView> {
  return withTransaction(db, { isolation: 'repeatable read', readOnly: true }, async (tx) => {
    const paused = await isReconciliationPaused(tx);
    const snapshot = await loadSnapshot(tx, now, options, undefined, autoscaling);
    return { at: now, paused, plans: planAll(snapshot, now, options, resolve) };
  });
}

/**
 * The view the gauges are computed from at scrape time: reused while it is at most `maxAgeMs` old
 * (by the controller's clock), else loaded again; concurrent scrapes share one load. The
 * reconciler hands in the view of a pass that changed nothing (it is current), and drops the
 * cached one after a pass that did (it is not).
 */
export class StateViewCache {
  #view: StateView | undefined;
  #loading: Promise<StateView> | undefined;
  /** Bumped by invalidate(): a load that started before it must not be cached. */
  #epoch = 0;

  constructor(
    private readonly deps: {
      readonly db: DatabasePool;
      readonly clock: Clock;
      readonly options: PrebuildOptions;
      readonly maxAgeMs?: number;
      readonly resolve?: DesiredResolver;
      /** Shared with the reconciler, so the forecasts' cached inputs serve both. */
      readonly autoscaling?: AutoscalingInputs;
    },
  ) {}

  async get(): Promise<StateView> {
    const now = this.deps.clock.now();
    const view = this.#view;
    if (view && Math.abs(now.getTime() - view.at.getTime()) <= (this.deps.maxAgeMs ?? 5_000)) {
      return view;
    }
    if (!this.#loading) {
      const epoch = this.#epoch;
      const loading = loadStateView(
        this.deps.db,
        now,
        this.deps.options,
        this.deps.resolve,
        this.deps.autoscaling,
      )
        .then((loaded) => {
          if (epoch === this.#epoch) this.#view = loaded;
          return loaded;
        })
        .finally(() => {
          if (this.#loading === loading) this.#loading = undefined;
        });
      this.#loading = loading;
    }
    return this.#loading;
  }

  put(view: StateView): void {
    this.#view = view;
  }

  invalidate(): void {
    this.#epoch += 1;
    this.#view = undefined;
    this.#loading = undefined;
  }
}
