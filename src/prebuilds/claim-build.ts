import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { CHANNELS } from '../db/channels.js';
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
import type { ClaimedWorkspace } from './claim.js';
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
  | 'workspace_name'
  | 'owner_id'
  | 'owner_name'
  | 'build_number'
  | 'is_prebuild'
  | 'template_name'
  | 'preset_name'
  | 'parameters';

const enqueueClaimBuildQuery = defineQuery<
  {
    workspace_id: string;
    template_id: string;
    version_id: string;
    preset_id: string;
    preset_name: string;
    initiator_id: string;
    now: Date;
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
>('EnqueueClaimBuild', ClaimBuildRow, { prepared: true });

export interface ClaimBuild {
  readonly enqueued: EnqueuedBuild;
  /** The claimed workspace as GET /api/v1/workspaces/:id shows it, the claim build its latest. */
  readonly view: WorkspaceViewRow;
}

/**
 * After a claim, in its transaction: records the hit, inserts the claim build (a start, reason
 * `claim`, initiated by the new owner, the request's preset and parameters over the previous
 * build's) with its job, and NOTIFYs the job-posted and reconcile channels, all in ONE statement
 * that writes the rows enqueueWorkspaceBuild would and returns the workspace view. Null when the
 * claimed workspace is not what the request resolved (another version, a build in progress, ...)
 * or the parameters are invalid: the attempt is then recorded or not, as `recorded` says, and the
 * caller must enqueue through enqueueWorkspaceBuild, which handles every case.
 */
export async function enqueueClaimBuild(
  tx: Db,
  request: ResolvedRequest,
  claimed: ClaimedWorkspace,
  now: Date,
): Promise<{ readonly built: ClaimBuild | null; readonly recorded: boolean }> {
  const { template, preset, owner } = request;
  if (!preset) throw new Error('enqueueClaimBuild: the request has no preset');
  try {
    checkParameters(request.parameters);
  } catch {
    return { built: null, recorded: false };
  }
  const { version } = template;
  const jobId = randomUUID();
  const buildId = randomUUID();
  const metric = { reason: 'claim', transition: 'start' } as const;
  let row: z.infer<typeof ClaimBuildRow> | null;
  try {
    row = await enqueueClaimBuildQuery.maybeOne(tx, {
      workspace_id: claimed.id,
      template_id: template.id,
      version_id: template.versionId,
      preset_id: preset.id,
      preset_name: preset.name,
      initiator_id: owner.id,
      now,
      job_id: jobId,
      build_id: buildId,
      provisioner: version.provisioner,
      tags: version.tags,
      input: {
        workspace_build_id: buildId,
        workspace_id: claimed.id,
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
    countEnqueued(metric, version.provisioner, 'failed');
    throw error;
  }
  if (!row) return { built: null, recorded: true };
  countEnqueued(metric, version.provisioner, 'success');
  const { job_row: job, build_row: build, ...view } = row;
  return {
    built: { enqueued: { build, job: { ...job, status: job.job_status } }, view },
    recorded: true,
  };
}
