import { randomUUID } from 'node:crypto';

import { CHANNELS } from '../db/channels.js';
import type { Db } from '../db/sql-files.js';
import {
  type BuildRow,
  getBaseParameters,
  getPreset,
  getTarget,
  getVersion,
  insertBuild,
  insertJob,
  insertParameters,
} from './enqueue-queries.js';
import {
  type BuildJobInput,
  type BuildReason,
  ExecConfig,
  type JobRow,
  SYSTEM_USER_ID,
  type Transition,
} from './model.js';
import { defaultJobMetrics, type JobMetrics } from './metrics.js';
import { notify } from './notify.js';

export { BuildRow } from './enqueue-queries.js';

export interface EnqueueBuildRequest {
  readonly workspaceId: string;
  readonly transition: Transition;
  readonly reason: BuildReason;
  readonly initiatorId: string;
  /**
   * The version to build. Default: the template's active version for a start when the workspace
   * has no builds yet (or when `useActiveVersion`), otherwise the latest build's version.
   */
  readonly templateVersionId?: string;
  /** Build the template's active version (an update), unless templateVersionId is given. */
  readonly useActiveVersion?: boolean;
  /**
   * The preset of the build. undefined = the latest build's preset when the version is unchanged;
   * null = no preset.
   */
  readonly presetId?: string | null;
  /** Explicit parameters, overlaying the preset's (which overlay the previous build's). */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly now: Date;
  /**
   * Where `coderd_workspace_builds_enqueued_total` is counted (jobMetricsFor(registry)); default:
   * the metrics of the controller hosting the jobs feature in this process.
   */
  readonly metrics?: JobMetrics;
}

export interface EnqueuedBuild {
  readonly build: BuildRow;
  /** The job row; `status` repeats `job_status` ("pending"). */
  readonly job: JobRow & { readonly status: string };
}

export type EnqueueErrorCode =
  | 'workspace_not_found'
  | 'workspace_deleted'
  | 'build_in_progress'
  | 'no_active_version'
  | 'version_not_found'
  | 'preset_not_found'
  | 'invalid_parameter';

/** A build that cannot be enqueued; `code` tells callers (API: 404/409/400) what went wrong. */
export class EnqueueError extends Error {
  override readonly name = 'EnqueueError';
  constructor(
    readonly code: EnqueueErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const IN_PROGRESS = new Set(['pending', 'running', 'canceling']);

/** Throws EnqueueError `invalid_parameter` for a parameter name or value the tables cannot hold. */
export function checkParameters(parameters: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(parameters)) {
    if (name === '' || name.length > 128 || name.includes('\0')) {
      throw new EnqueueError(
        'invalid_parameter',
        `parameters: name "${name}" must be 1 to 128 characters without NUL`,
      );
    }
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new EnqueueError(
        'invalid_parameter',
        `parameters.${name}: must be a string without NUL`,
      );
    }
  }
}

/**
 * The template's exec config as stored. An invalid one is passed on as it is: the daemon then
 * fails the job saying what is wrong, instead of silently running the global command.
 */
export function execConfig(raw: unknown): BuildJobInput['exec'] {
  if (raw === null || raw === undefined) return null;
  const parsed = ExecConfig.safeParse(raw);
  return parsed.success ? parsed.data : raw;
}

/**
 * Creates a workspace build and its provisioner job INSIDE the caller's transaction: the next
 * build number, the job (provisioner and tags of the template version, input describing the
 * build), the build parameters, and a job-posted NOTIFY that PostgreSQL delivers at commit.
 * The only way builds are created. A concurrent enqueue for the same workspace fails with the
 * unique violation `workspace_builds_workspace_id_build_number_key` (a benign race for callers).
 */
export async function enqueueWorkspaceBuild(
  tx: Db,
  request: EnqueueBuildRequest,
): Promise<EnqueuedBuild> {
  let provisioner = 'unknown';
  const count = (status: 'success' | 'failed') => countEnqueued(request, provisioner, status);
  try {
    const result = await enqueue(tx, request, (type) => {
      provisioner = type;
    });
    count('success');
    return result;
  } catch (error) {
    count('failed');
    throw error;
  }
}

/** Counts one enqueue in `coderd_workspace_builds_enqueued_total`. */
export function countEnqueued(
  request: Pick<EnqueueBuildRequest, 'reason' | 'transition' | 'metrics'>,
  provisioner: string,
  status: 'success' | 'failed',
): void {
  const metrics = request.metrics ?? defaultJobMetrics();
  metrics?.enqueued.inc({
    provisioner_type: provisioner,
    build_reason: request.reason,
    transition: request.transition,
    status,
  });
}

async function enqueue(
  tx: Db,
  request: EnqueueBuildRequest,
  onProvisioner: (type: string) => void,
): Promise<EnqueuedBuild> {
  const { workspaceId, transition, now } = request;
  checkParameters(request.parameters ?? {});
  const target = await getTarget.maybeOne(tx, { workspace_id: workspaceId });
  if (!target) throw new EnqueueError('workspace_not_found', `workspace ${workspaceId} not found`);
  // The metric's label until the version (which decides) is known.
  onProvisioner(target.template_provisioner);
  if (target.deleted) {
    throw new EnqueueError('workspace_deleted', `workspace ${workspaceId} is deleted`);
  }
  if (target.latest_job_status !== null && IN_PROGRESS.has(target.latest_job_status)) {
    throw new EnqueueError(
      'build_in_progress',
      `workspace ${target.workspace_name} already has a ${target.latest_job_status} build ` +
        `(#${target.latest_build_number}, job ${target.latest_job_id}); cancel it or wait for it`,
    );
  }

  const wantActive = request.useActiveVersion === true || target.latest_version_id === null;
  const versionId =
    request.templateVersionId ?? (wantActive ? target.active_version_id : target.latest_version_id);
  if (!versionId) {
    throw new EnqueueError(
      'no_active_version',
      `template ${target.template_name} has no active version to build`,
    );
  }
  const version = await getVersion.maybeOne(tx, { version_id: versionId });
  if (!version || version.template_id !== target.template_id) {
    throw new EnqueueError(
      'version_not_found',
      `templateVersionId: version ${versionId} is not a version of template ${target.template_name}`,
    );
  }
  onProvisioner(version.provisioner);

  // A preset belongs to a version: inherit the latest build's only while the version is the same.
  const presetId =
    request.presetId !== undefined
      ? request.presetId
      : versionId === target.latest_version_id
        ? target.latest_preset_id
        : null;
  const preset = presetId ? await getPreset.maybeOne(tx, { preset_id: presetId }) : null;
  if (presetId && (!preset || preset.template_version_id !== versionId)) {
    throw new EnqueueError(
      'preset_not_found',
      `presetId: preset ${presetId} is not a preset of template version ${version.name}`,
    );
  }

  const parameters: Record<string, string> = {};
  const base = await getBaseParameters.any(tx, {
    previous_build_id: target.latest_build_id,
    preset_id: preset?.id ?? null,
  });
  for (const { name, value } of base) parameters[name] = value;
  Object.assign(parameters, request.parameters ?? {});

  const buildId = randomUUID();
  const jobId = randomUUID();
  const buildNumber = (target.latest_build_number ?? 0) + 1;
  const input: BuildJobInput = {
    workspace_build_id: buildId,
    workspace_id: target.workspace_id,
    workspace_name: target.workspace_name,
    owner_id: target.owner_id,
    owner_name: target.owner_name,
    transition,
    build_number: buildNumber,
    reason: request.reason,
    is_prebuild: target.owner_id === SYSTEM_USER_ID,
    template_id: target.template_id,
    template_name: target.template_name,
    template_version_id: version.id,
    template_version_name: version.name,
    preset_id: preset?.id ?? null,
    preset_name: preset?.name ?? null,
    parameters,
    exec: execConfig(version.exec),
  };

  const job = await insertJob.one(tx, {
    id: jobId,
    now,
    organization_id: target.organization_id,
    initiator_id: request.initiatorId,
    provisioner: version.provisioner,
    input,
    tags: version.tags,
  });
  const build = await insertBuild.one(tx, {
    id: buildId,
    now,
    workspace_id: target.workspace_id,
    version_id: version.id,
    build_number: buildNumber,
    transition,
    initiator_id: request.initiatorId,
    job_id: jobId,
    reason: request.reason,
    preset_id: preset?.id ?? null,
  });
  const names = Object.keys(parameters).sort();
  if (names.length > 0) {
    await insertParameters.exec(tx, {
      build_id: buildId,
      names,
      values: names.map((name) => parameters[name] as string),
    });
  }
  await notify(tx, CHANNELS.jobPosted, [
    { job_id: jobId, provisioner: version.provisioner, tags: version.tags },
  ]);
  return { build, job: { ...job, status: job.job_status } };
}
