import { recordClaimAttempt } from '../autoscaling/claim-history.js';
import { CHANNELS } from '../db/channels.js';
import { isUniqueViolation } from '../db/errors.js';
import { type Db, defineQuery } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import { badRequest, conflict } from '../http/errors.js';
import { type EnqueuedBuild, EnqueueError, enqueueWorkspaceBuild } from '../jobs/enqueue.js';
import { notify } from '../jobs/notify.js';
import { observeSeries } from '../metrics/zero.js';
import {
  latestBuildJson,
  requireWorkspaceView,
  workspaceJson,
  type WorkspaceViewRow,
} from '../workspaces/view.js';
import { ClaimedRow, type ClaimedWorkspace, claimPrebuiltWorkspace } from './claim.js';
import { claimWithBuild } from './claim-build.js';
import {
  type CreateWorkspaceInput,
  type ResolvedRequest,
  resolveCreateRequest,
} from './create-request.js';
import type { PrebuildMetrics } from './metrics.js';

// The new workspace's row has the claimed prebuild's shape: callers treat both alike.
const WorkspaceRow = ClaimedRow;
type WorkspaceRow = ClaimedWorkspace;

const insertUserWorkspace = defineQuery<
  {
    owner_id: string;
    organization_id: string;
    template_id: string;
    name: string;
    autostart_schedule: string | null;
    next_start_at: Date | null;
    ttl_ms: number | null;
    now: Date;
  },
  typeof WorkspaceRow
>('InsertUserWorkspace', WorkspaceRow);

export interface CreatedWorkspace {
  readonly request: ResolvedRequest;
  /** A ready prebuild was claimed (else a new workspace is being built). */
  readonly claimed: boolean;
  readonly workspace: WorkspaceRow;
  readonly enqueued: EnqueuedBuild;
  /**
   * The workspace as GET shows it, with the new build as its latest, when the create's own
   * statements returned it (a claim); otherwise createdWorkspaceJson reads it.
   */
  readonly view?: WorkspaceViewRow;
}

export interface CreateOptions {
  /** Where the claim duration and misses are counted (the API's registry); none for the CLI. */
  readonly metrics?: PrebuildMetrics;
}

/**
 * Creates a workspace for a user. When the chosen preset has prebuilds, the request first tries
 * the claim's fast path: ONE statement on its own (no transaction around it) moves a ready,
 * unexpired prebuild on the template's active version to the owner (name, autostart and next
 * start, TTL, last_used_at = now; dormant/deleting cleared), records the hit, inserts the claim
 * build (a start, reason `claim`, initiated by the new owner, preset kept) with its job, and
 * NOTIFYs the daemons and the reconcilers so the pool is replenished at once (claimWithBuild).
 * When it claims nothing, one transaction claims (should a prebuild have become ready since) or
 * creates a new workspace and its start build, and records the attempt (hit or miss) in
 * prebuild_claim_attempts, the autoscaler's demand. Either way the request gets a workspace.
 */
export async function createWorkspace(
  db: Db,
  input: CreateWorkspaceInput,
  now: Date,
  options: CreateOptions = {},
): Promise<CreatedWorkspace> {
  const started = performance.now();
  const request = await resolveCreateRequest(db, input, now);
  try {
    const created =
      (await fastClaim(db, request, now)) ??
      (await withTransaction(db, {}, (tx) => claimOrCreate(tx, request, now)));
    record(created, options.metrics, performance.now() - started);
    return created;
  } catch (error) {
    if (isUniqueViolation(error, 'workspaces_owner_id_name_key')) {
      throw conflict(`${request.owner.username} already has a workspace named "${request.name}"`, [
        { path: 'name', message: 'is taken' },
      ]);
    }
    if (error instanceof EnqueueError && error.code === 'invalid_parameter') {
      throw badRequest(error.message, [{ path: 'parameters', message: error.message }]);
    }
    throw error;
  }
}

async function fastClaim(
  db: Db,
  request: ResolvedRequest,
  now: Date,
): Promise<CreatedWorkspace | null> {
  if (!request.preset?.hasPrebuilds) return null;
  const built = await claimWithBuild(db, request, now);
  return built && { request, claimed: true, ...built };
}

async function claimOrCreate(
  tx: Db,
  request: ResolvedRequest,
  now: Date,
): Promise<CreatedWorkspace> {
  const { owner, template, preset } = request;
  if (preset?.hasPrebuilds) {
    const claimed = await claimPrebuiltWorkspace(tx, {
      presetId: preset.id,
      ownerId: owner.id,
      name: request.name,
      autostartSchedule: request.autostartSchedule,
      nextStartAt: request.nextStartAt,
      ttlMs: request.ttlMs,
      now,
    });
    await recordClaimAttempt(tx, {
      templateId: template.id,
      presetName: preset.name,
      presetId: preset.id,
      at: now,
      outcome: claimed ? 'hit' : 'miss',
    });
    if (claimed) {
      const enqueued = await enqueueWorkspaceBuild(tx, {
        workspaceId: claimed.id,
        transition: 'start',
        reason: 'claim',
        initiatorId: owner.id,
        presetId: preset.id,
        parameters: request.parameters,
        now,
      });
      await notify(tx, CHANNELS.reconcile, [
        { reason: 'prebuild_claimed', template_id: template.id, preset_id: preset.id },
      ]);
      return { request, claimed: true, workspace: claimed, enqueued };
    }
  }
  const workspace = await insertUserWorkspace.one(tx, {
    owner_id: owner.id,
    organization_id: template.organizationId,
    template_id: template.id,
    name: request.name,
    autostart_schedule: request.autostartSchedule,
    next_start_at: request.nextStartAt,
    ttl_ms: request.ttlMs,
    now,
  });
  const enqueued = await enqueueWorkspaceBuild(tx, {
    workspaceId: workspace.id,
    transition: 'start',
    reason: 'initiator',
    initiatorId: owner.id,
    templateVersionId: template.versionId,
    presetId: preset?.id ?? null,
    parameters: request.parameters,
    now,
  });
  return { request, claimed: false, workspace, enqueued };
}

function record(created: CreatedWorkspace, metrics: PrebuildMetrics | undefined, ms: number) {
  const { preset, template } = created.request;
  if (!metrics || !preset) return;
  const labels = {
    organization_name: template.organizationName,
    template_name: template.name,
    preset_name: preset.name,
  };
  // Coder's count of regular workspaces created from a preset (its dashboard's prebuilds usage
  // is claimed / (claimed + regular)).
  if (!created.claimed) metrics.creations.inc(labels);
  if (!preset.hasPrebuilds) return;
  if (created.claimed) observeSeries(metrics.claimDuration, labels, ms / 1000);
  else metrics.claimMisses.inc(labels);
}

/**
 * The API's and the CLI's JSON for a created workspace: `{workspace, claimed, build}`, where
 * `workspace` is the workspace API's own shape (GET /api/v1/workspaces/:id) plus the preset and
 * version the create resolved, and `build` the new build (the claim build when claimed).
 * The view is what GET would show at commit: returned by the claim's statements, else read.
 */
export async function createdWorkspaceJson(db: Db, created: CreatedWorkspace) {
  const view = created.view ?? (await requireWorkspaceView(db, created.workspace.id));
  const { request, enqueued } = created;
  return {
    workspace: {
      ...workspaceJson(view),
      template_version_id: enqueued.build.template_version_id,
      template_version_name: request.template.versionName,
      preset_id: request.preset?.id ?? null,
      preset_name: request.preset?.name ?? null,
    },
    claimed: created.claimed,
    build: {
      ...latestBuildJson(view),
      initiator_id: enqueued.build.initiator_id,
      job_status: enqueued.job.job_status,
    },
  };
}
