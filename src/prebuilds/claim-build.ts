import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { CHANNELS } from '../db/channels.js';
import { isUniqueViolation } from '../db/errors.js';
import { type Db, defineQuery } from '../db/sql-files.js';
import {
  BuildRow,
  checkParameters,
  countEnqueued,
  type EnqueuedBuild,
  execConfig,
} from '../jobs/enqueue.js';
import { type BuildJobInput, JobRow } from '../jobs/model.js';
import { WorkspaceViewRow } from '../workspaces/view.js';
import type { ClaimedWorkspace, ClaimParams } from './claim.js';
import type { ResolvedRequest } from './create-request.js';

// to_jsonb() writes timestamps as ISO text.
const JobJson = JobRow.extend({
  created_at: z.coerce.date(),
  updated_at: z.coerce.date(),
  started_at: z.coerce.date().nullable(),
  canceled_at: z.coerce.date().nullable(),
  completed_at: z.coerce.date().nullable(),
});
const BuildJson = BuildRow.extend({
  created_at: z.coerce.date(),
  updated_at: z.coerce.date(),
  deadline: z.coerce.date().nullable(),
  max_deadline: z.coerce.date().nullable(),
});

const ClaimBuildRow = WorkspaceViewRow.extend({
  job_row: JobJson,
  build_row: BuildJson,
});

/** The job input's fields the statement fills in from the claimed workspace. */
type FromWorkspace =
  | 'workspace_id'
  | 'workspace_name'
  | 'owner_id'
  | 'owner_name'
  | 'build_number'
  | 'is_prebuild'
  | 'template_name'
  | 'preset_name'
  | 'parameters';

const claimWithBuildQuery = defineQuery<
  ClaimParams & {
    template_id: string;
    version_id: string;
    preset_name: string;
    job_id: string;
    build_id: string;
    provisioner: string;
    tags: Readonly<Record<string, string>>;
    input: Omit<BuildJobInput, FromWorkspace>;
    parameters: Readonly<Record<string, string>>;
    job_channel: string;
    job_payload: string;
    reconcile_channel: string;
    reconcile_payload: string;
  },
  typeof ClaimBuildRow
>('ClaimPrebuiltWorkspaceWithBuild', ClaimBuildRow, { prepared: true });

export interface ClaimBuild {
  readonly workspace: ClaimedWorkspace;
  readonly enqueued: EnqueuedBuild;
  /** The claimed workspace as GET /api/v1/workspaces/:id shows it, the claim build its latest. */
  readonly view: WorkspaceViewRow;
}

/**
 * The claim's fast path, in ONE statement run on its own (pass the pool, not a transaction: the
 * point is that the claimed row is locked only for that statement and its commit). Claims a
 * ready prebuild of the request's preset for its owner, records the hit, inserts the claim build
 * (a start, reason `claim`, initiated by the new owner, the request's preset and parameters over
 * the previous build's) with its job, and NOTIFYs the job-posted and reconcile channels; it
 * writes the rows enqueueWorkspaceBuild would and returns the workspace view.
 *
 * Null when nothing was claimed (no ready prebuild, or the preset's version is no longer
 * active): nothing is written then, and the caller takes the general path, which records the
 * attempt. Invalid parameters throw before anything is sent (EnqueueError `invalid_parameter`).
 */
export async function claimWithBuild(
  db: Db,
  request: ResolvedRequest,
  now: Date,
): Promise<ClaimBuild | null> {
  const { template, preset, owner } = request;
  if (!preset) throw new Error('claimWithBuild: the request has no preset');
  checkParameters(request.parameters);
  const { version } = template;
  const jobId = randomUUID();
  const buildId = randomUUID();
  const metric = { reason: 'claim', transition: 'start' } as const;
  let row: z.infer<typeof ClaimBuildRow> | null;
  try {
    row = await claimWithBuildQuery.maybeOne(db, {
      preset_id: preset.id,
      new_owner_id: owner.id,
      new_name: request.name,
      autostart_schedule: request.autostartSchedule,
      next_start_at: request.nextStartAt,
      ttl_ms: request.ttlMs,
      now,
      template_id: template.id,
      version_id: template.versionId,
      preset_name: preset.name,
      job_id: jobId,
      build_id: buildId,
      provisioner: version.provisioner,
      tags: version.tags,
      input: {
        workspace_build_id: buildId,
        transition: 'start',
        reason: 'claim',
        template_id: template.id,
        template_version_id: template.versionId,
        template_version_name: template.versionName,
        preset_id: preset.id,
        exec: execConfig(version.exec),
      },
      parameters: request.parameters,
      job_channel: CHANNELS.jobPosted,
      job_payload: JSON.stringify({
        job_id: jobId,
        provisioner: version.provisioner,
        tags: version.tags,
      }),
      reconcile_channel: CHANNELS.reconcile,
      reconcile_payload: JSON.stringify({
        reason: 'prebuild_claimed',
        template_id: template.id,
        preset_id: preset.id,
      }),
    });
  } catch (error) {
    // A name taken since the request was resolved fails the claim itself (a 409), not a build.
    if (!isUniqueViolation(error, 'workspaces_owner_id_name_key')) {
      countEnqueued(metric, version.provisioner, 'failed');
    }
    throw error;
  }
  if (!row) return null;
  countEnqueued(metric, version.provisioner, 'success');
  const { job_row: job, build_row: build, ...view } = row;
  return {
    workspace: {
      id: view.id,
      name: view.name,
      owner_id: view.owner_id,
      organization_id: view.organization_id,
      template_id: view.template_id,
      created_at: view.created_at,
      autostart_schedule: view.autostart_schedule,
      next_start_at: view.next_start_at,
      ttl: view.ttl_ms,
      last_used_at: view.last_used_at,
    },
    enqueued: { build, job: { ...job, status: job.job_status } },
    view,
  };
}
