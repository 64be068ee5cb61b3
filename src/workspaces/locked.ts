import { CHANNELS } from '../db/channels.js';
import { advisoryXactLock, LOCKS } from '../db/locks.js';
import type { Db } from '../db/sql-files.js';
import { type Tx, withTransaction } from '../db/tx.js';
import { SYSTEM_USER_ID } from '../domain/lifecycle/index.js';
import { AppError, conflict } from '../http/errors.js';
import { notify } from '../jobs/notify.js';
import { findWorkspaceView, requireWorkspaceView, type WorkspaceViewRow } from './view.js';

/** A rejected input naming its field, as the API answers it (400) and the CLI prints it. */
export function invalidField(field: string, reason: string): AppError {
  return new AppError(400, 'bad_request', `invalid ${field}`, [{ path: field, message: reason }]);
}

/**
 * Runs a change to one workspace in a transaction holding the workspace's advisory lock (the one
 * the lifecycle executor takes), after re-reading the workspace under it. READ COMMITTED: every
 * statement after the lock sees what the previous holder committed. Prebuilt workspaces belong to
 * the reconciler until claimed and deleted ones cannot change: both answer 409. With `wake`, the
 * lifecycle schedulers are woken at commit to re-decide at once (schedule and dormancy changes;
 * not for chatty calls such as activity).
 */
export async function withLockedWorkspace<T>(
  db: Db,
  ref: string,
  fn: (tx: Tx, workspace: WorkspaceViewRow) => Promise<T>,
  options: { readonly wake?: boolean } = {},
): Promise<T> {
  const found = await requireWorkspaceView(db, ref);
  return withTransaction(db, {}, async (tx) => {
    await advisoryXactLock(tx, LOCKS.workspace(found.id));
    const workspace = (await findWorkspaceView(tx, found.id)) ?? found;
    if (workspace.owner_id === SYSTEM_USER_ID) {
      throw conflict(
        `workspace ${workspace.name} is a prebuilt workspace: the reconciler manages it until a user claims it`,
      );
    }
    if (workspace.deleted) throw conflict(`workspace ${workspace.name} is deleted`);
    const result = await fn(tx, workspace);
    if (options.wake) await notify(tx, CHANNELS.lifecycle, [{ workspace_id: workspace.id }]);
    return result;
  });
}
