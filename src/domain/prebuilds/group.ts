import {
  type AutoscalingInput,
  type GlobalSnapshot,
  PREBUILDS_SYSTEM_USER_ID,
  type PresetRow,
  type PresetSnapshot,
  type Transition,
} from './types.js';

interface Bucket {
  running: PresetSnapshot['running'][number][];
  stoppedOrFailed: PresetSnapshot['stoppedOrFailed'][number][];
  inProgress: Record<Transition, number>;
  pendingInactive: number;
  backoff: PresetSnapshot['backoff'];
  failureStreak: PresetSnapshot['failureStreak'];
  autoscaling: AutoscalingInput | null;
}

/**
 * Splits the global snapshot into one PresetSnapshot per preset, in the presets' order, in one
 * pass over each list (Coder filters the whole snapshot once per preset: presets x prebuilds).
 *
 * Workspaces not owned by the prebuilds system user are dropped here, whatever a query returned:
 * the reconciler must never count, delete or otherwise touch a user's workspace. Workspaces
 * without a current preset, or whose preset is not in the snapshot, are left alone too.
 */
export function groupByPreset(snapshot: GlobalSnapshot): PresetSnapshot[] {
  const buckets = new Map<string, Bucket>();
  for (const preset of snapshot.presets) {
    buckets.set(preset.id, {
      running: [],
      stoppedOrFailed: [],
      inProgress: { start: 0, stop: 0, delete: 0 },
      pendingInactive: 0,
      backoff: null,
      failureStreak: null,
      autoscaling: null,
    });
  }
  const bucket = (presetId: string | null) =>
    presetId === null ? undefined : buckets.get(presetId);

  for (const prebuild of snapshot.running) {
    if (prebuild.ownerId === PREBUILDS_SYSTEM_USER_ID)
      bucket(prebuild.presetId)?.running.push(prebuild);
  }
  for (const prebuild of snapshot.stoppedOrFailed) {
    if (prebuild.ownerId === PREBUILDS_SYSTEM_USER_ID) {
      bucket(prebuild.presetId)?.stoppedOrFailed.push(prebuild);
    }
  }
  for (const row of snapshot.inProgress) {
    const target = bucket(row.presetId);
    if (target) target.inProgress[row.transition] += row.count;
  }
  for (const row of snapshot.pendingInactive) {
    const target = bucket(row.presetId);
    if (target) target.pendingInactive += row.count;
  }
  for (const row of snapshot.backoffs) {
    const target = bucket(row.presetId);
    if (target) target.backoff = row;
  }
  for (const row of snapshot.failureStreaks) {
    const target = bucket(row.presetId);
    if (target) target.failureStreak = row;
  }
  for (const row of snapshot.autoscaling ?? []) {
    const target = bucket(row.presetId);
    if (target) target.autoscaling = row;
  }
  return snapshot.presets.map((preset: PresetRow) => ({
    preset,
    ...(buckets.get(preset.id) as Bucket),
  }));
}
