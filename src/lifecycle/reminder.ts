import type { DatabasePool } from 'slonik';

import { tryAdvisoryXactLock, LOCKS } from '../db/locks.js';
import { withTransaction } from '../db/tx.js';
import { decideLifecycle } from '../domain/lifecycle/reminder.js';
import { autostopAt } from '../domain/lifecycle/types.js';
import type { Logger } from '../log/logger.js';
import { enqueueNotification } from '../notifications/enqueue.js';
import {
  lifecycleStateByWorkspace,
  rearmAutostopReminder,
  stampAutostopReminder,
} from './queries.js';
import { toLifecycleState } from './state.js';

export type ReminderOutcome =
  /** Stamped and enqueued. */
  | 'sent'
  /** Stamped; the identical message was already enqueued today (an earlier partial success). */
  | 'duplicate'
  /** Nothing to remind (not in the window, already sent, a transition is due, ...). */
  | 'not_due'
  /** Another replica holds the workspace's lock this tick. */
  | 'locked'
  /** The enqueue failed; the marker was re-armed so a later tick retries. */
  | 'failed';

export interface ReminderDeps {
  readonly pool: DatabasePool;
  readonly logger: Logger;
  readonly activeWindowMs: number;
  /** Injectable for tests of the failure path. */
  readonly enqueue?: typeof enqueueNotification;
}

export interface ReminderResult {
  readonly outcome: ReminderOutcome;
  /** The stop instant the reminder is about. */
  readonly autostopAt?: Date;
}

/**
 * Seed 001's autostop reminder for one workspace at `now`: re-decide under the workspace's
 * advisory lock in a REPEATABLE READ transaction and stamp `notified_autostop_deadline` there
 * (what makes it one reminder per deadline across ticks and replicas); enqueue after commit; if
 * the enqueue fails, clear the marker again so a later tick retries instead of losing the only
 * reminder for this deadline. The message's dedupe hash absorbs a retry after a partial success.
 */
export async function remindAutostop(
  deps: ReminderDeps,
  workspaceId: string,
  now: Date,
): Promise<ReminderResult> {
  const log = deps.logger.child({ component: 'lifecycle-reminder', workspace_id: workspaceId });
  // The lock statement takes the snapshot before it takes the lock: a replica can get the lock
  // just after another one stamped and committed, on a snapshot from before. Its stamp then fails
  // with a serialization error; the retry decides again on a new snapshot and finds it sent.
  const options = { isolation: 'repeatable read', retries: 2 } as const;
  const stamped = await withTransaction(deps.pool, options, async (tx) => {
    if (!(await tryAdvisoryXactLock(tx, LOCKS.workspace(workspaceId)))) return 'locked' as const;
    const row = await lifecycleStateByWorkspace.maybeOne(tx, { workspace_id: workspaceId });
    if (!row) return null;
    const state = toLifecycleState(row);
    const decision = decideLifecycle(state, now, { activeWindowMs: deps.activeWindowMs });
    const at = state.latestBuild ? autostopAt(state.latestBuild) : null;
    if (!decision.remind || !at) return null;
    const claimed = await stampAutostopReminder.maybeOne(tx, {
      build_id: row.build_id,
      autostop_at: at,
      now,
    });
    return claimed ? { row, at } : null;
  });
  if (stamped === 'locked') return { outcome: 'locked' };
  if (!stamped) return { outcome: 'not_due' };
  const { row, at } = stamped;
  const enqueue = deps.enqueue ?? enqueueNotification;
  try {
    const result = await enqueue(deps.pool, {
      template: 'autostop_reminder',
      userId: row.owner_id,
      payload: {
        workspace_id: row.workspace_id,
        workspace: row.workspace_name,
        deadline: at.toISOString(),
      },
      targets: [row.workspace_id, row.owner_id, row.template_id, row.organization_id],
      createdBy: 'lifecycle_executor',
      now,
    });
    log.info(
      { autostop_at: at.toISOString(), duplicate: result.duplicate },
      'autostop reminder enqueued',
    );
    return { outcome: result.duplicate ? 'duplicate' : 'sent', autostopAt: at };
  } catch (error) {
    log.warn({ err: error }, 'autostop reminder could not be enqueued; re-arming it');
    try {
      await rearmAutostopReminder.maybeOne(deps.pool, {
        build_id: row.build_id,
        autostop_at: at,
        now,
      });
    } catch (rearmError) {
      log.error({ err: rearmError }, 'autostop reminder marker could not be re-armed');
    }
    return { outcome: 'failed', autostopAt: at };
  }
}
