import { isUniqueViolation } from '../db/errors.js';
import type { Db } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import type { PrebuildOptions } from '../domain/prebuilds/options.js';
import type { PresetPlan } from '../domain/prebuilds/plan.js';
import { statusChange } from '../domain/prebuilds/report.js';
import { PREBUILDS_SYSTEM_USER_ID, type PresetRow } from '../domain/prebuilds/types.js';
import { EnqueueError, enqueueWorkspaceBuild } from '../jobs/enqueue.js';
import type { Logger } from '../log/logger.js';
import { cancelPendingPrebuildCreations, insertPrebuildWorkspace } from './action-queries.js';
import { lockPrebuildForDelete } from './claim.js';
import { forEachLimited } from './limit.js';
import { prebuildName } from './names.js';
import { applyStatusChange } from './status-change.js';

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

/** What a task did: how many workspaces, jobs or status changes (0 = dropped at the re-check). */
interface TaskResult {
  readonly done: number;
  readonly notified?: number;
}

interface Task {
  readonly kind: TaskKind;
  readonly preset: PresetRow;
  readonly run: () => Promise<TaskResult>;
}

const done = (count: number): TaskResult => ({ done: count });

/** Log fields naming a preset. */
export function presetFields(preset: PresetRow) {
  return {
    preset_id: preset.id,
    preset: preset.name,
    template: preset.templateName,
    template_version: preset.templateVersionName,
    organization: preset.organizationName,
  };
}

const PHASES: readonly TaskKind[] = ['status', 'cancel_pending', 'delete', 'create'];

/**
 * Carries out the plans' actions: every task in its own short transaction that re-checks what it
 * changes, at most `concurrency` at once, status changes first, then cancellations and deletes
 * (they free the queue and capacity), then creates. A failing task is logged with its preset and
 * counted; it never stops the others. A create that fails validation (a deterministic error)
 * marks the preset validation_failed and drops its remaining creates of this pass.
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
      if (task.kind === 'create') {
        blocked.add(task.preset.id);
        await markValidationFailed(task.preset, error, ctx);
      }
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

/** One new prebuild: the workspace and its start build (reason `prebuild`, the preset). */
async function createPrebuild(preset: PresetRow, ctx: ExecuteContext): Promise<TaskResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(ctx.db, {}, async (tx) => {
        const workspace = await insertPrebuildWorkspace.maybeOne(tx, {
          name: prebuildName(),
          preset_id: preset.id,
          now: ctx.now,
        });
        if (!workspace) return done(0);
        await enqueueWorkspaceBuild(tx, {
          workspaceId: workspace.id,
          transition: 'start',
          reason: 'prebuild',
          initiatorId: PREBUILDS_SYSTEM_USER_ID,
          templateVersionId: preset.templateVersionId,
          presetId: preset.id,
          now: ctx.now,
        });
        return done(1);
      });
    } catch (error) {
      // 72 random bits: a second collision means something else is wrong.
      if (attempt < 2 && isUniqueViolation(error, 'workspaces_owner_id_name_key')) continue;
      throw error;
    }
  }
}

/**
 * Deletes one prebuild: LockPrebuildForDelete (still system-owned, not being claimed; stamps
 * deleting_at so a claim that started earlier cannot take it afterwards) and the delete build,
 * in ONE transaction. 0 when a claim won, or when the workspace has a build in progress.
 */
async function deletePrebuild(workspaceId: string, ctx: ExecuteContext): Promise<TaskResult> {
  try {
    return await withTransaction(ctx.db, {}, async (tx) => {
      if (!(await lockPrebuildForDelete(tx, workspaceId, ctx.now))) return done(0);
      await enqueueWorkspaceBuild(tx, {
        workspaceId,
        transition: 'delete',
        reason: 'prebuild',
        initiatorId: PREBUILDS_SYSTEM_USER_ID,
        now: ctx.now,
      });
      return done(1);
    });
  } catch (error) {
    // A build started since the snapshot: the next pass decides again.
    if (error instanceof EnqueueError && error.code === 'build_in_progress') return done(0);
    throw error;
  }
}

async function cancelPending(preset: PresetRow, ctx: ExecuteContext): Promise<TaskResult> {
  const result = await withTransaction(ctx.db, {}, (tx) =>
    cancelPendingPrebuildCreations.one(tx, { preset_id: preset.id, now: ctx.now }),
  );
  return done(result.canceled);
}

async function markValidationFailed(
  preset: PresetRow,
  error: unknown,
  ctx: ExecuteContext,
): Promise<void> {
  // Only errors that the same input always reproduces; anything else may pass next time.
  if (!(error instanceof EnqueueError) || error.code !== 'invalid_parameter') return;
  try {
    await applyStatusChange(
      ctx.db,
      preset,
      { from: preset.prebuildStatus, to: 'validation_failed' },
      ctx.options.failureHardLimit,
      ctx.now,
    );
    ctx.log.warn(
      { ...presetFields(preset), reason: error.message },
      'preset failed validation: no prebuilds are created until a new version is pushed or the preset is reset',
    );
  } catch (statusError) {
    ctx.log.error({ err: statusError, ...presetFields(preset) }, 'could not mark the preset');
  }
}
