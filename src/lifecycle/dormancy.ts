import type { Db } from '../db/sql-files.js';
import { enqueueNotification } from '../notifications/enqueue.js';
import { markWorkspaceDormant } from './queries.js';

export interface DormancyTarget {
  readonly workspaceId: string;
  readonly workspaceName: string;
  readonly ownerId: string;
  readonly templateId: string;
  readonly organizationId: string;
}

export interface DormancyMark {
  readonly dormantAt: Date;
  readonly deletingAt: Date | null;
}

/**
 * Marks a workspace dormant inside the caller's transaction (deleting_at from the template's
 * time_til_dormant_autodelete) and enqueues, in the same transaction, `workspace_dormant` and,
 * when a deletion date was set, `workspace_marked_for_deletion`: the owner learns both facts, and
 * nothing is sent unless the mark commits. Null when the workspace was already dormant (or is a
 * prebuild or deleted): nothing changes then.
 */
export async function markDormant(
  tx: Db,
  target: DormancyTarget,
  reason: string,
  createdBy: string,
  now: Date,
): Promise<DormancyMark | null> {
  const row = await markWorkspaceDormant.maybeOne(tx, { workspace_id: target.workspaceId, now });
  if (!row?.dormant_at) return null;
  const targets = [target.workspaceId, target.ownerId, target.templateId, target.organizationId];
  const workspace = { workspace_id: target.workspaceId, workspace: target.workspaceName };
  await enqueueNotification(tx, {
    template: 'workspace_dormant',
    userId: target.ownerId,
    payload: {
      ...workspace,
      reason,
      deleting_at: row.deleting_at ? row.deleting_at.toISOString() : null,
    },
    targets,
    createdBy,
    now,
  });
  if (row.deleting_at) {
    await enqueueNotification(tx, {
      template: 'workspace_marked_for_deletion',
      userId: target.ownerId,
      payload: {
        ...workspace,
        reason: `it is dormant (${reason})`,
        deleting_at: row.deleting_at.toISOString(),
      },
      targets,
      createdBy,
      now,
    });
  }
  return { dormantAt: row.dormant_at, deletingAt: row.deleting_at };
}
