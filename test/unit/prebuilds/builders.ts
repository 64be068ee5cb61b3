import type { PrebuildAction } from '../../../src/domain/prebuilds/actions.js';
import type { DesiredResolver } from '../../../src/domain/schedule/types.js';
import {
  DEFAULT_PREBUILD_OPTIONS,
  type PrebuildOptions,
} from '../../../src/domain/prebuilds/options.js';
import {
  PREBUILDS_SYSTEM_USER_ID,
  type PresetRow,
  type PresetSnapshot,
  type RunningPrebuild,
  type StoppedOrFailedPrebuild,
} from '../../../src/domain/prebuilds/types.js';

export const NOW = new Date('2026-03-02T12:00:00.000Z');
export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** An instant `ms` before NOW. */
export const ago = (ms: number) => new Date(NOW.getTime() - ms);

export const PRESET_ID = 'preset-1';

export function presetRow(overrides: Partial<PresetRow> = {}): PresetRow {
  return {
    id: PRESET_ID,
    name: 'us-nix',
    templateId: 'template-1',
    templateName: 'dev-env',
    organizationId: 'org-1',
    organizationName: 'default',
    templateVersionId: 'version-2',
    templateVersionName: 'v2',
    usingActiveVersion: true,
    templateDeleted: false,
    templateDeprecated: false,
    desiredInstances: 3,
    ttlSecs: 0,
    schedulingTimezone: 'UTC',
    schedules: [],
    prebuildStatus: 'healthy',
    lastInvalidatedAt: null,
    failureLimitResetAt: null,
    ...overrides,
  };
}

/** A running prebuild `id`, created `ageMs` before NOW, ready unless told. */
export function running(
  id: string,
  ageMs: number,
  overrides: Partial<RunningPrebuild> = {},
): RunningPrebuild {
  return {
    id,
    name: `prebuild-${id}`,
    ownerId: PREBUILDS_SYSTEM_USER_ID,
    templateId: 'template-1',
    templateVersionId: 'version-2',
    presetId: PRESET_ID,
    ready: true,
    createdAt: ago(ageMs),
    ...overrides,
  };
}

export function stoppedOrFailed(
  id: string,
  completedAgoMs: number,
  overrides: Partial<StoppedOrFailedPrebuild> = {},
): StoppedOrFailedPrebuild {
  return {
    id,
    name: `prebuild-${id}`,
    ownerId: PREBUILDS_SYSTEM_USER_ID,
    templateId: 'template-1',
    templateVersionId: 'version-2',
    presetId: PRESET_ID,
    transition: 'start',
    jobStatus: 'failed',
    completedAt: ago(completedAgoMs),
    createdAt: ago(completedAgoMs + MIN),
    ...overrides,
  };
}

export interface SnapshotInput {
  preset?: Partial<PresetRow>;
  running?: RunningPrebuild[];
  stoppedOrFailed?: StoppedOrFailedPrebuild[];
  starting?: number;
  stopping?: number;
  deleting?: number;
  pendingInactive?: number;
  /** Consecutive creation failures since the last success, the last `lastFailureAgoMs` ago. */
  failures?: { count: number; lastFailureAgoMs: number };
  /** Newest creation builds considered for the hard limit and how many failed. */
  streak?: { considered: number; failed: number };
}

export function presetSnapshot(input: SnapshotInput = {}): PresetSnapshot {
  return {
    preset: presetRow(input.preset),
    running: input.running ?? [],
    stoppedOrFailed: input.stoppedOrFailed ?? [],
    inProgress: {
      start: input.starting ?? 0,
      stop: input.stopping ?? 0,
      delete: input.deleting ?? 0,
    },
    pendingInactive: input.pendingInactive ?? 0,
    backoff: input.failures
      ? {
          presetId: PRESET_ID,
          failedCount: input.failures.count,
          lastFailureAt: ago(input.failures.lastFailureAgoMs),
        }
      : null,
    failureStreak: input.streak
      ? { presetId: PRESET_ID, ...input.streak, lastFailureAt: ago(MIN) }
      : null,
  };
}

/** `instances`, or the first schedule whose cron is "match" (a stand-in for real cron). */
export const stubResolver: DesiredResolver = (config) => {
  const index = config.schedules.findIndex((schedule) => schedule.cron === 'match');
  if (index === -1) return { desired: config.instances, schedule: null };
  return { desired: config.schedules[index]?.instances ?? 0, schedule: index };
};

export const options = (overrides: Partial<PrebuildOptions> = {}): PrebuildOptions => ({
  ...DEFAULT_PREBUILD_OPTIONS,
  ...overrides,
});

/** Actions as short strings for tables: "cancel_pending 2", "delete a,b", "create 3", "backoff <iso>". */
export function summarize(actions: readonly PrebuildAction[]): string[] {
  return actions.map((action) => {
    switch (action.type) {
      case 'cancel_pending':
        return `cancel_pending ${action.count}`;
      case 'delete':
        return `delete ${action.workspaceIds.join(',')}`;
      case 'create':
        return `create ${action.count}`;
      case 'backoff':
        return `backoff ${action.until.toISOString()}`;
    }
  });
}
