import type { PrebuildOptions } from '../domain/prebuilds/options.js';
import type {
  GlobalSnapshot,
  PresetRow,
  RunningPrebuild,
  StoppedOrFailedPrebuild,
} from '../domain/prebuilds/types.js';
import type { Db } from '../db/sql-files.js';
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

/**
 * Reads everything one reconciliation pass decides from: six set-based queries, however many
 * presets there are. Run it in the caller's REPEATABLE READ READ ONLY transaction so that every
 * query sees the same instant (the queries are read one after the other on that connection).
 *
 * The workspace queries go first so the presets query can also return the presets of old
 * versions that still have prebuilds, in-progress builds or pending jobs, and nothing else.
 */
export async function loadSnapshot(
  tx: Db,
  now: Date,
  options: SnapshotOptions,
): Promise<GlobalSnapshot> {
  const { prebuilds } = await getPrebuildWorkspaces.one(tx, {
    completed_before: new Date(now.getTime() - options.cleanupGraceMs),
  });
  const running: RunningPrebuild[] = [];
  const stoppedOrFailed: StoppedOrFailedPrebuild[] = [];
  for (const [
    id,
    name,
    ownerId,
    templateId,
    templateVersionId,
    presetId,
    state,
    transition,
    jobStatus,
    ready,
    completedMs,
    createdMs,
  ] of prebuilds) {
    if (state === 'running') {
      running.push({
        id,
        name,
        ownerId,
        templateId,
        templateVersionId,
        presetId,
        ready,
        createdAt: new Date(createdMs),
      });
    } else {
      stoppedOrFailed.push({
        id,
        name,
        ownerId,
        templateId,
        templateVersionId,
        presetId,
        transition,
        jobStatus,
        completedAt: new Date(completedMs),
        createdAt: new Date(createdMs),
      });
    }
  }
  const inProgressRows = await countInProgressPrebuilds.any(tx, {});
  const pendingRows = await countPendingInactivePrebuildJobs.any(tx, {});

  const referenced = new Set<string>();
  for (const prebuild of [...running, ...stoppedOrFailed]) {
    if (prebuild.presetId !== null) referenced.add(prebuild.presetId);
  }
  for (const row of [...inProgressRows, ...pendingRows]) referenced.add(row.preset_id);

  const presetRows = await getPrebuildPresets.any(tx, { extra_preset_ids: [...referenced] });
  const backoffRows = await getPrebuildBackoffInputs.any(tx, {
    since: new Date(now.getTime() - options.backoffLookbackMs),
  });
  const streakRows =
    options.failureHardLimit > 0
      ? await getPrebuildFailureStreaks.any(tx, { hard_limit: options.failureHardLimit })
      : [];

  return {
    presets: presetRows.map((row): PresetRow => ({
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
    })),
    running,
    stoppedOrFailed,
    inProgress: inProgressRows.map((row) => ({
      presetId: row.preset_id,
      transition: row.transition,
      count: row.count,
    })),
    pendingInactive: pendingRows.map((row) => ({ presetId: row.preset_id, count: row.count })),
    backoffs: backoffRows.map((row) => ({
      presetId: row.preset_id,
      failedCount: row.failed_count,
      lastFailureAt: row.last_failure_at,
    })),
    failureStreaks: streakRows.map((row) => ({
      presetId: row.preset_id,
      considered: row.considered,
      failed: row.failed,
      lastFailureAt: row.last_failure_at,
    })),
  };
}
