import { storedPolicy } from '../autoscaling/stored-policy.js';
import type { Db } from '../db/sql-files.js';
import type { PrebuildOptions } from '../domain/prebuilds/options.js';
import {
  type GlobalSnapshot,
  PREBUILDS_SYSTEM_USER_ID,
  type PresetRow,
  type RunningPrebuild,
  type StoppedOrFailedPrebuild,
} from '../domain/prebuilds/types.js';
import {
  countInProgressPrebuilds,
  countPendingInactivePrebuildJobs,
  getPrebuildBackoffInputs,
  getPrebuildFailureStreaks,
  getPrebuildPresets,
  getPrebuildWorkspaces,
} from './queries.js';

export type SnapshotOptions = Pick<
  PrebuildOptions,
  'backoffLookbackMs' | 'failureHardLimit' | 'cleanupGraceMs'
>;

export type PrebuildParts = Pick<GlobalSnapshot, 'running' | 'stoppedOrFailed' | 'graceEndsAt'>;
export type CountParts = Pick<
  GlobalSnapshot,
  'inProgress' | 'pendingInactive' | 'backoffs' | 'failureStreaks'
>;

/** Running prebuilds and stopped or failed ones past the grace period (one query). */
export async function readPrebuilds(
  db: Db,
  now: Date,
  options: SnapshotOptions,
): Promise<PrebuildParts> {
  const { prebuilds, grace_oldest_completed_at: oldest } = await getPrebuildWorkspaces.one(db, {
    completed_before: new Date(now.getTime() - options.cleanupGraceMs),
  });
  // Due when completed before now - grace (strictly): one millisecond after completion + grace.
  const graceEndsAt = oldest ? new Date(oldest.getTime() + options.cleanupGraceMs + 1) : null;
  const running: RunningPrebuild[] = [];
  const stoppedOrFailed: StoppedOrFailedPrebuild[] = [];
  const ownerId = PREBUILDS_SYSTEM_USER_ID;
  for (const [templateId, templateVersionId, presetId, tuples] of prebuilds) {
    for (const tuple of tuples) {
      const [id, name] = tuple;
      const createdAt = new Date(tuple[7]);
      if (tuple[2] === 'running') {
        running.push({
          id,
          name,
          ownerId,
          templateId,
          templateVersionId,
          presetId,
          ready: tuple[5],
          createdAt,
        });
      } else {
        stoppedOrFailed.push({
          id,
          name,
          ownerId,
          templateId,
          templateVersionId,
          presetId,
          transition: tuple[3],
          jobStatus: tuple[4],
          completedAt: new Date(tuple[6]),
          createdAt,
          failedDeletes: tuple[8],
          deleteGivenUp: tuple[9],
        });
      }
    }
  }
  return { running, stoppedOrFailed, graceEndsAt };
}

/** In-progress counts, cancellable pending jobs, backoff and hard-limit inputs (four queries). */
export async function readCounts(db: Db, now: Date, options: SnapshotOptions): Promise<CountParts> {
  const inProgress = await countInProgressPrebuilds.any(db, {});
  const pending = await countPendingInactivePrebuildJobs.any(db, {});
  const backoffs = await getPrebuildBackoffInputs.any(db, {
    since: new Date(now.getTime() - options.backoffLookbackMs),
  });
  const streaks =
    options.failureHardLimit > 0
      ? await getPrebuildFailureStreaks.any(db, { hard_limit: options.failureHardLimit })
      : [];
  return {
    inProgress: inProgress.map((row) => ({
      presetId: row.preset_id,
      transition: row.transition,
      count: row.count,
    })),
    pendingInactive: pending.map((row) => ({ presetId: row.preset_id, count: row.count })),
    backoffs: backoffs.map((row) => ({
      presetId: row.preset_id,
      failedCount: row.failed_count,
      lastFailureAt: row.last_failure_at,
    })),
    failureStreaks: streaks.map((row) => ({
      presetId: row.preset_id,
      considered: row.considered,
      failed: row.failed,
      lastFailureAt: row.last_failure_at,
    })),
  };
}

/** Preset ids the rows refer to; presets of old versions are only read when something refers to them. */
export function referencedPresetIds(parts: Partial<PrebuildParts & CountParts>): Set<string> {
  const ids = new Set<string>();
  for (const prebuild of [...(parts.running ?? []), ...(parts.stoppedOrFailed ?? [])]) {
    if (prebuild.presetId !== null) ids.add(prebuild.presetId);
  }
  for (const row of [...(parts.inProgress ?? []), ...(parts.pendingInactive ?? [])]) {
    ids.add(row.presetId);
  }
  return ids;
}

/** The active presets (when asked) and the given ones. */
export async function readPresets(
  db: Db,
  includeActive: boolean,
  extraIds: Iterable<string>,
): Promise<PresetRow[]> {
  const rows = await getPrebuildPresets.any(db, {
    include_active: includeActive,
    extra_preset_ids: [...extraIds],
  });
  // One object literal with every property (no spread of the policy): spreading into a
  // literal this wide took V8's slow path, about 40 ms of CPU and garbage per pass at 1,241 rows.
  return rows.map((row) => {
    const policy = storedPolicy(row.autoscaling);
    return {
      id: row.id,
      name: row.name,
      templateId: row.template_id,
      templateName: row.template_name,
      organizationId: row.organization_id,
      organizationName: row.organization_name,
      templateVersionId: row.template_version_id,
      templateVersionName: row.template_version_name,
      usingActiveVersion: row.using_active_version,
      templateDeleted: row.template_deleted,
      templateDeprecated: row.template_deprecated,
      desiredInstances: row.desired_instances,
      ttlSecs: row.ttl_secs,
      schedulingTimezone: row.scheduling_timezone,
      schedules: row.schedules,
      prebuildStatus: row.prebuild_status,
      lastInvalidatedAt: row.last_invalidated_at,
      failureLimitResetAt: row.failure_limit_reset_at,
      autoscaling: policy.autoscaling,
      autoscalingError: policy.autoscalingError,
    };
  });
}

/** Template, then older versions before the active one, then preset name: status and plan order. */
export function presetOrder(a: PresetRow, b: PresetRow): number {
  const by = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return (
    by(a.templateName, b.templateName) ||
    Number(a.usingActiveVersion) - Number(b.usingActiveVersion) ||
    by(a.templateVersionName, b.templateVersionName) ||
    by(a.name, b.name) ||
    by(a.id, b.id)
  );
}
