import type { Db } from '../db/sql-files.js';
import type { PrebuildOptions } from '../domain/prebuilds/options.js';
import type { PresetPlan } from '../domain/prebuilds/plan.js';
import { statusChange } from '../domain/prebuilds/report.js';
import type { PresetRow } from '../domain/prebuilds/types.js';
import type { Logger } from '../log/logger.js';
import { forEachLimited } from './limit.js';
import { recordGivenUpDelete } from './delete-given-up.js';
import { applyStatusChange } from './status-change.js';
import {
  cancelPending,
  createPrebuild,
  deletePrebuild,
  presetFields,
  type TaskResult,
} from './tasks.js';

export type TaskKind = 'status' | 'cancel_pending' | 'delete' | 'create';

export interface ActOutcome {
  /** Presets with at least one task. */
  readonly presetsActed: number;
  readonly created: number;
  readonly deleted: number;
  /** Pending creation jobs canceled (their workspaces deleted as orphans). */
  readonly canceled: number;
  /** Tasks the re-check in their own transaction dropped (claimed meanwhile, version changed...). */
  readonly skipped: number;
  readonly statusChanges: number;
  readonly notifications: number;
  readonly errors: number;
  /** Errors by task kind, for the metrics. */
  readonly errorsByKind: Readonly<Record<TaskKind, number>>;
}

export interface ExecuteContext {
  readonly db: Db;
  readonly log: Logger;
  readonly options: PrebuildOptions;
  readonly now: Date;
  readonly concurrency: number;
}

interface Task {
  readonly kind: TaskKind;
  readonly preset: PresetRow;
  readonly run: () => Promise<TaskResult>;
}

const PHASES: readonly TaskKind[] = ['status', 'cancel_pending', 'delete', 'create'];

/**
 * Carries out the plans' actions: every task in its own short transaction that re-checks what it
 * changes, at most `concurrency` at once, status changes first, then cancellations and deletes
 * (they free the queue and capacity), then creates. A failing task is logged with its preset and
 * counted; it never stops the others. A failed create drops the preset's remaining creates of
 * this pass (the next pass tries again; builds that fail are what the backoff is for).
 */
export async function executePlans(
  plans: readonly PresetPlan[],
  ctx: ExecuteContext,
): Promise<ActOutcome> {
  const tasks = buildTasks(plans, ctx);
  const totals = { created: 0, deleted: 0, canceled: 0, skipped: 0, statusChanges: 0 };
  const errorsByKind: Record<TaskKind, number> = {
    status: 0,
    cancel_pending: 0,
    delete: 0,
    create: 0,
  };
  let notifications = 0;
  const blocked = new Set<string>();
  const ordered = PHASES.flatMap((kind) => tasks.filter((task) => task.kind === kind));

  await forEachLimited(ordered, ctx.concurrency, async (task) => {
    if (task.kind === 'create' && blocked.has(task.preset.id)) {
      totals.skipped += 1;
      return;
    }
    try {
      const result = await task.run();
      notifications += result.notified ?? 0;
      if (result.done === 0) totals.skipped += 1;
      else if (task.kind === 'create') totals.created += result.done;
      else if (task.kind === 'delete') totals.deleted += result.done;
      else if (task.kind === 'cancel_pending') totals.canceled += result.done;
      else totals.statusChanges += result.done;
    } catch (error) {
      errorsByKind[task.kind] += 1;
      ctx.log.error(
        { err: error, task: task.kind, ...presetFields(task.preset) },
        'prebuild action failed',
      );
      // The preset's other creates of this pass would most likely fail the same way.
      if (task.kind === 'create') blocked.add(task.preset.id);
    }
  });

  const errors = Object.values(errorsByKind).reduce((a, b) => a + b, 0);
  return {
    presetsActed: new Set(tasks.map((task) => task.preset.id)).size,
    ...totals,
    notifications,
    errors,
    errorsByKind,
  };
}

function buildTasks(plans: readonly PresetPlan[], ctx: ExecuteContext): Task[] {
  const tasks: Task[] = [];
  for (const plan of plans) {
    const { preset, state } = plan;
    const change = statusChange(plan);
    if (change) {
      tasks.push({
        kind: 'status',
        preset,
        run: async () => {
          const result = await applyStatusChange(
            ctx.db,
            preset,
            change,
            ctx.options.failureHardLimit,
            ctx.now,
          );
          if (result.applied) {
            const level = change.to === 'hard_limited' ? 'warn' : 'info';
            ctx.log[level](
              {
                ...presetFields(preset),
                from: change.from,
                to: change.to,
                notified: result.notified,
              },
              change.to === 'hard_limited'
                ? 'preset reached the failure hard limit: no more prebuilds are created for it'
                : 'preset prebuild status changed',
            );
          }
          return { done: result.applied ? 1 : 0, notified: result.notified };
        },
      });
    }
    for (const failed of state.failedDeletes) {
      if (failed.retryAt !== null || failed.prebuild.deleteGivenUp) continue;
      tasks.push({
        kind: 'status',
        preset,
        run: async () => {
          const result = await recordGivenUpDelete(ctx.db, preset, failed, ctx.now);
          if (result.recorded) {
            ctx.log.warn(
              {
                ...presetFields(preset),
                workspace_id: failed.prebuild.id,
                failed_deletes: failed.failures,
                notified: result.notified,
              },
              'prebuild delete failed too many times in a row: no more retries',
            );
          }
          return { done: result.recorded ? 1 : 0, notified: result.notified };
        },
      });
    }
    for (const action of plan.actions) {
      switch (action.type) {
        case 'backoff':
          break;
        case 'cancel_pending':
          tasks.push({ kind: 'cancel_pending', preset, run: () => cancelPending(preset, ctx) });
          break;
        case 'delete':
          for (const id of action.workspaceIds) {
            tasks.push({ kind: 'delete', preset, run: () => deletePrebuild(id, ctx) });
          }
          break;
        case 'create': {
          let count = action.count;
          if (count > state.desired) {
            // Cannot happen with a correct decision; a wrong one must not flood the queue.
            ctx.log.fatal(
              { ...presetFields(preset), count, desired: state.desired },
              'CRITICAL: decided to create more prebuilds than desired; clamping to the desired count',
            );
            count = state.desired;
          }
          for (let i = 0; i < count; i++) {
            tasks.push({ kind: 'create', preset, run: () => createPrebuild(preset, ctx) });
          }
          break;
        }
      }
    }
    if (plan.actions.some((action) => action.type !== 'backoff') || change) {
      ctx.log.info(
        { ...presetFields(preset), actions: plan.actions.map((action) => action.reason) },
        'reconciling preset',
      );
    } else if (plan.actions.length > 0) {
      ctx.log.debug(
        { ...presetFields(preset), actions: plan.actions.map((action) => action.reason) },
        'preset backing off',
      );
    }
  }
  return tasks;
}
