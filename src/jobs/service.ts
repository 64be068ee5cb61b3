import { z } from 'zod';

import { CHANNELS } from '../db/channels.js';
import { type Db, defineQuery } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import { notifyJobsCompleted } from './complete.js';
import type { AgentLifecycleState } from './model.js';
import { notify } from './notify.js';
import { type PrebuildReady, prebuildBecameReady } from './prebuild-ready.js';

export const JobView = z.object({
  id: z.string(),
  created_at: z.date(),
  updated_at: z.date(),
  started_at: z.date().nullable(),
  canceled_at: z.date().nullable(),
  canceled_by: z.string().nullable(),
  completed_at: z.date().nullable(),
  status: z.string(),
  error: z.string().nullable(),
  error_code: z.string().nullable(),
  organization_id: z.string(),
  initiator_id: z.string(),
  provisioner: z.string(),
  type: z.string(),
  input: z.unknown(),
  tags: z.record(z.unknown()),
  worker_id: z.string().nullable(),
  worker_name: z.string().nullable(),
  build_id: z.string().nullable(),
  workspace_id: z.string().nullable(),
  build_number: z.number().nullable(),
  transition: z.string().nullable(),
  reason: z.string().nullable(),
  preset_id: z.string().nullable(),
});
export type JobView = z.infer<typeof JobView>;
const getJobQuery = defineQuery<{ job_id: string }, typeof JobView>('GetProvisionerJob', JobView);

export const JobLogLine = z.object({
  id: z.number(),
  created_at: z.date(),
  level: z.string(),
  stage: z.string(),
  output: z.string(),
});
export type JobLogLine = z.infer<typeof JobLogLine>;
const listLogsQuery = defineQuery<
  { job_id: string; after: number; limit: number },
  typeof JobLogLine
>('ListProvisionerJobLogs', JobLogLine);

const Canceled = z.object({ id: z.string(), status: z.string() });
const cancelQuery = defineQuery<
  { job_id: string; now: Date; canceled_by: string | null },
  typeof Canceled
>('CancelProvisionerJob', Canceled);

const LiveWorkspace = z.object({ id: z.string() });
const getLiveWorkspace = defineQuery<{ workspace_id: string }, typeof LiveWorkspace>(
  'AgentLifecycleGetWorkspace',
  LiveWorkspace,
);

export const AgentView = z.object({
  id: z.string(),
  workspace_id: z.string(),
  workspace_build_id: z.string(),
  name: z.string(),
  lifecycle_state: z.string(),
  started_at: z.date().nullable(),
  ready_at: z.date().nullable(),
  updated_at: z.date(),
});
export type AgentView = z.infer<typeof AgentView>;
const updateAgentQuery = defineQuery<
  { workspace_id: string; name: string; state: AgentLifecycleState; now: Date },
  typeof AgentView
>('UpdateAgentLifecycle', AgentView);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (text: string): boolean => UUID.test(text);

export async function getJob(db: Db, jobId: string): Promise<JobView | null> {
  if (!isUuid(jobId)) return null;
  return getJobQuery.maybeOne(db, { job_id: jobId });
}

export async function listJobLogs(
  db: Db,
  jobId: string,
  options: { after?: number; limit?: number } = {},
): Promise<readonly JobLogLine[]> {
  return listLogsQuery.any(db, {
    job_id: jobId,
    after: options.after ?? 0,
    limit: options.limit ?? 1000,
  });
}

export const FINISHED_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled']);

export type CancelResult =
  | { readonly outcome: 'canceled' | 'canceling'; readonly job: JobView }
  | { readonly outcome: 'not_found' }
  | { readonly outcome: 'finished'; readonly job: JobView };

/**
 * Cancels a job: a pending one at once (it ends "canceled" and a job-completed NOTIFY goes out
 * with it), a running one is marked "canceling" and its daemon stops it at its next heartbeat.
 * Canceling a job that is already canceling is a no-op; a finished job cannot be canceled.
 */
export async function cancelJob(
  db: Db,
  jobId: string,
  now: Date,
  canceledBy: string | null = null,
): Promise<CancelResult> {
  if (!isUuid(jobId)) return { outcome: 'not_found' };
  return withTransaction(db, {}, async (tx) => {
    const canceled = await cancelQuery.maybeOne(tx, {
      job_id: jobId,
      now,
      canceled_by: canceledBy,
    });
    const job = await getJobQuery.maybeOne(tx, { job_id: jobId });
    if (!job) return { outcome: 'not_found' } as const;
    if (!canceled) {
      if (job.status === 'canceling') return { outcome: 'canceling', job } as const;
      return { outcome: 'finished', job } as const;
    }
    if (canceled.status === 'canceled') {
      await notifyJobsCompleted(tx, [
        {
          job_id: job.id,
          workspace_id: job.workspace_id,
          preset_id: job.preset_id,
          status: 'canceled',
          transition: job.transition,
        },
      ]);
      return { outcome: 'canceled', job } as const;
    }
    return { outcome: 'canceling', job } as const;
  });
}

export type AgentUpdateResult =
  | {
      readonly outcome: 'updated';
      readonly agent: AgentView;
      /** The prebuild this report made eligible for claims, if any. */
      readonly prebuildReady: PrebuildReady | null;
    }
  | { readonly outcome: 'workspace_not_found' | 'agent_not_found' };

/** An agent of the workspace's latest build reports its lifecycle state. */
export async function updateAgentLifecycle(
  db: Db,
  args: { workspaceId: string; name: string; state: AgentLifecycleState; now: Date },
): Promise<AgentUpdateResult> {
  if (!isUuid(args.workspaceId)) return { outcome: 'workspace_not_found' };
  return withTransaction(db, {}, async (tx) => {
    const workspace = await getLiveWorkspace.maybeOne(tx, { workspace_id: args.workspaceId });
    if (!workspace) return { outcome: 'workspace_not_found' } as const;
    const agent = await updateAgentQuery.maybeOne(tx, {
      workspace_id: args.workspaceId,
      name: args.name,
      state: args.state,
      now: args.now,
    });
    if (!agent) return { outcome: 'agent_not_found' } as const;
    const prebuildReady =
      args.state === 'ready'
        ? await prebuildBecameReady(tx, agent.workspace_build_id, args.now)
        : null;
    // Readiness changes which prebuilds can be claimed: the reconciler should look now.
    await notify(tx, CHANNELS.reconcile, [
      { reason: 'agent_lifecycle', workspace_id: args.workspaceId },
    ]);
    return { outcome: 'updated', agent, prebuildReady } as const;
  });
}
