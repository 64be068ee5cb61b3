import type { Db } from '../db/sql-files.js';
import type { LifecycleTransition } from '../domain/lifecycle/index.js';
import { enqueueWorkspaceBuild } from '../jobs/enqueue.js';
import { BuildJobInput } from '../jobs/model.js';
import { enqueueNotification } from '../notifications/enqueue.js';
import { markDormant } from './dormancy.js';
import type { LifecycleJobOutcome } from './metrics.js';
import type { AcquiredJob } from './queries.js';
import type { LifecycleStateRow } from './state.js';

/** What carrying out one lifecycle job did. */
export interface Performed {
  readonly outcome: Extract<LifecycleJobOutcome, 'built' | 'marked' | 'skipped' | 'failed'>;
  /** For the job's `outcome` column and its log: what happened, in words. */
  readonly detail: string;
  readonly buildId?: string;
  readonly error?: string;
  /** Autostart moved the workspace to the template's active version. */
  readonly autoUpdated?: boolean;
}

export interface Execution extends Performed {
  readonly jobId: string;
  readonly workspaceId: string;
  readonly operation: string;
  readonly reason: string;
}

const UNFINISHED = new Set(['pending', 'running', 'canceling']);

/** Why nothing needs doing: the workspace is already where the job would take it. */
function alreadyThere(operation: string, row: LifecycleStateRow): string | null {
  if (UNFINISHED.has(row.job_status)) {
    return `skipped: build #${row.build_number} (${row.transition}) is ${row.job_status}`;
  }
  const failed = row.job_status === 'failed';
  switch (operation) {
    case 'start':
      return row.transition === 'start' && !failed ? 'skipped: already running' : null;
    case 'stop':
      return row.transition !== 'start' && !failed ? 'skipped: already stopped' : null;
    case 'dormant':
      return row.dormant_at !== null ? 'skipped: already dormant' : null;
    default:
      return null;
  }
}

const describe = (t: LifecycleTransition | null) =>
  t ? `${t.operation} (${t.reason})` : 'nothing is due';

const DORMANCY_REASON = 'it was not used for longer than the dormancy threshold';

/**
 * Carries out a started lifecycle job inside the executor's locked REPEATABLE READ transaction:
 * skips it when the workspace is already in the desired state or the decision re-made now no
 * longer matches the job, otherwise creates the build (enqueueWorkspaceBuild) and, for dormancy,
 * marks the workspace dormant; the notifications it causes are enqueued in the same transaction.
 */
export async function performJob(
  tx: Db,
  args: {
    job: AcquiredJob;
    row: LifecycleStateRow;
    decision: LifecycleTransition | null;
    now: Date;
  },
): Promise<Performed> {
  const { job, row, decision, now } = args;
  const there = alreadyThere(job.operation, row);
  if (there) return { outcome: 'skipped', detail: there };
  if (!decision || decision.operation !== job.operation || decision.reason !== job.reason) {
    return { outcome: 'skipped', detail: `skipped: no longer due (now: ${describe(decision)})` };
  }
  const target = {
    workspaceId: row.workspace_id,
    workspaceName: row.workspace_name,
    ownerId: row.owner_id,
    templateId: row.template_id,
    organizationId: row.organization_id,
  };
  if (job.operation === 'dormant') {
    await markDormant(tx, target, DORMANCY_REASON, 'lifecycle_executor', now);
    return { outcome: 'marked', detail: 'marked dormant (the workspace was not running)' };
  }
  // A running workspace that went idle is marked dormant and stopped, in one transaction.
  if (job.reason === 'dormancy') {
    await markDormant(tx, target, DORMANCY_REASON, 'lifecycle_executor', now);
  }

  const useActiveVersion =
    job.operation === 'start' && (row.require_active_version || row.automatic_updates === 'always');
  const enqueued = await enqueueWorkspaceBuild(tx, {
    workspaceId: row.workspace_id,
    transition: job.operation,
    reason: decision.reason,
    initiatorId: row.owner_id,
    useActiveVersion,
    now,
  });
  const autoUpdated =
    useActiveVersion && enqueued.build.template_version_id !== row.build_template_version_id;
  if (autoUpdated) {
    const input = BuildJobInput.safeParse(enqueued.job.input);
    await enqueueNotification(tx, {
      template: 'workspace_auto_updated',
      userId: row.owner_id,
      payload: {
        workspace_id: row.workspace_id,
        workspace: row.workspace_name,
        template_version: input.success ? input.data.template_version_name : 'the active version',
        reason: decision.reason,
      },
      targets: [row.workspace_id, row.owner_id, row.template_id, row.organization_id],
      createdBy: 'lifecycle_executor',
      now,
    });
  }
  const { build } = enqueued;
  return {
    outcome: 'built',
    detail:
      `built: #${build.build_number} ${build.transition} (${build.reason}), job ${build.job_id}` +
      (autoUpdated ? ', updated to the active template version' : ''),
    buildId: build.id,
    autoUpdated,
  };
}
