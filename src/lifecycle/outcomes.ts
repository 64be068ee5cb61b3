import { z } from 'zod';

import { type Db, defineQuery } from '../db/sql-files.js';
import { enqueueNotification } from '../notifications/enqueue.js';

const Outcome = z.object({
  build_id: z.string(),
  build_number: z.number(),
  transition: z.enum(['start', 'stop', 'delete']),
  reason: z.string(),
  job_status: z.string(),
  error: z.string().nullable(),
  workspace_id: z.string(),
  workspace_name: z.string(),
  owner_id: z.string(),
  template_id: z.string(),
  organization_id: z.string(),
});

const automaticBuildOutcomes = defineQuery<{ job_ids: readonly string[] }, typeof Outcome>(
  'AutomaticBuildOutcomes',
  Outcome,
);

/** Error texts can be long (provisioner output); the notification carries the start of it. */
const MAX_ERROR = 500;

/**
 * The owner's notifications about finished automatic builds, enqueued inside the transaction that
 * finishes the jobs (the daemon's completion or the reaper), so they exist exactly when the
 * outcome is committed, whichever replica finished the job: `workspace_autobuild_failed` for a
 * failed autostart/autostop/dormancy/failedstop/autodelete build, `workspace_deleted` for a
 * successful auto-delete. Returns how many were enqueued.
 */
export async function notifyAutomaticBuildOutcomes(
  tx: Db,
  jobIds: readonly string[],
  now: Date,
): Promise<number> {
  if (jobIds.length === 0) return 0;
  const rows = await automaticBuildOutcomes.any(tx, { job_ids: jobIds });
  for (const row of rows) {
    const workspace = { workspace_id: row.workspace_id, workspace: row.workspace_name };
    const targets = [row.workspace_id, row.owner_id, row.template_id, row.organization_id];
    if (row.job_status === 'failed') {
      await enqueueNotification(tx, {
        template: 'workspace_autobuild_failed',
        userId: row.owner_id,
        payload: {
          ...workspace,
          reason: row.reason,
          transition: row.transition,
          build_number: row.build_number,
          ...(row.error ? { error: row.error.slice(0, MAX_ERROR) } : {}),
        },
        targets,
        createdBy: 'provisioner_job_completion',
        now,
      });
    } else {
      await enqueueNotification(tx, {
        template: 'workspace_deleted',
        userId: row.owner_id,
        payload: { ...workspace, reason: 'autodeleted due to dormancy', initiator: 'autobuild' },
        targets,
        createdBy: 'provisioner_job_completion',
        now,
      });
    }
  }
  return rows.length;
}
