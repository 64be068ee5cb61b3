import { isUniqueViolation } from '../db/errors.js';
import { withTransaction } from '../db/tx.js';
import { PREBUILDS_SYSTEM_USER_ID, type PresetRow } from '../domain/prebuilds/types.js';
import { EnqueueError, enqueueWorkspaceBuild } from '../jobs/enqueue.js';
import { cancelPendingPrebuildCreations, insertPrebuildWorkspace } from './action-queries.js';
import { lockPrebuildForDelete } from './claim.js';
import type { ExecuteContext } from './execute.js';
import { prebuildName } from './names.js';

// The reconciler's actions, one transaction each, re-checking what they change.

/** What a task did: how many workspaces, jobs or status changes (0 = dropped at the re-check). */
export interface TaskResult {
  readonly done: number;
  readonly notified?: number;
}

export const done = (count: number): TaskResult => ({ done: count });

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

/** One new prebuild: the workspace and its start build (reason `prebuild`, the preset). */
export async function createPrebuild(preset: PresetRow, ctx: ExecuteContext): Promise<TaskResult> {
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
export async function deletePrebuild(
  workspaceId: string,
  ctx: ExecuteContext,
): Promise<TaskResult> {
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

export async function cancelPending(preset: PresetRow, ctx: ExecuteContext): Promise<TaskResult> {
  const result = await withTransaction(ctx.db, {}, (tx) =>
    cancelPendingPrebuildCreations.one(tx, { preset_id: preset.id, now: ctx.now }),
  );
  return done(result.canceled);
}
