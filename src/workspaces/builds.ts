import { isUniqueViolation } from '../db/errors.js';
import type { Db } from '../db/sql-files.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { EnqueueError, enqueueWorkspaceBuild } from '../jobs/enqueue.js';
import type { Transition } from '../jobs/model.js';
import { invalidField, withLockedWorkspace } from './locked.js';
import { findWorkspaceView, latestBuildJson } from './view.js';

export const MANUAL_TRANSITIONS = ['start', 'stop', 'delete'] as const;

/** An enqueue refusal as the API answers it. */
function enqueueProblem(error: EnqueueError): AppError {
  switch (error.code) {
    case 'workspace_not_found':
      return notFound(error.message);
    case 'workspace_deleted':
    case 'build_in_progress':
    case 'no_active_version':
      return conflict(error.message);
    case 'version_not_found':
    case 'preset_not_found':
    case 'invalid_parameter':
      return new AppError(400, 'bad_request', error.message);
  }
}

/**
 * A manual build (reason `initiator`, initiated by the owner) under the workspace's lock. A start
 * builds the template's active version when the template requires it or the workspace has
 * `automatic_updates = always` (the same rule as autostart; Coder's manual start skips it, #22030).
 * A dormant workspace is not started (turn dormancy off first); stopping or deleting it is fine.
 * Returns the new build as the workspace's `latest_build` JSON.
 */
export async function createManualBuild(db: Db, ref: string, transition: Transition, now: Date) {
  if (!(MANUAL_TRANSITIONS as readonly string[]).includes(transition)) {
    throw invalidField('transition', `must be one of ${MANUAL_TRANSITIONS.join(', ')}`);
  }
  return withLockedWorkspace(db, ref, async (tx, workspace) => {
    if (transition === 'start' && workspace.dormant_at !== null) {
      throw conflict(
        `workspace ${workspace.name} is dormant: turn dormancy off (PUT .../dormant {"dormant": false}) before starting it`,
      );
    }
    try {
      const { build } = await enqueueWorkspaceBuild(tx, {
        workspaceId: workspace.id,
        transition,
        reason: 'initiator',
        initiatorId: workspace.owner_id,
        useActiveVersion:
          transition === 'start' &&
          (workspace.require_active_version || workspace.automatic_updates === 'always'),
        now,
      });
      const view = await findWorkspaceView(tx, workspace.id);
      if (!view || view.build_id !== build.id) throw new Error('the new build is not visible');
      return { workspace_id: workspace.id, ...latestBuildJson(view)! };
    } catch (error) {
      if (error instanceof EnqueueError) throw enqueueProblem(error);
      if (isUniqueViolation(error, 'workspace_builds_workspace_id_build_number_key')) {
        throw conflict(`another build of workspace ${workspace.name} was just created; retry`);
      }
      throw error;
    }
  });
}
