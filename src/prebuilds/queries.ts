import { z } from 'zod';

import { defineQuery } from '../db/sql-files.js';

// Typed handles of the queries in sql/prebuilds/. Rows are validated at the boundary by the
// pool's result parser, so a renamed column or a changed type fails loudly.

const status = z.enum(['healthy', 'hard_limited', 'validation_failed']);
const transition = z.enum(['start', 'stop', 'delete']);

export const PresetRowShape = z.object({
  id: z.string(),
  name: z.string(),
  template_id: z.string(),
  template_name: z.string(),
  organization_id: z.string(),
  organization_name: z.string(),
  template_version_id: z.string(),
  template_version_name: z.string(),
  using_active_version: z.boolean(),
  template_deleted: z.boolean(),
  template_deprecated: z.boolean(),
  desired_instances: z.number().nullable(),
  ttl_secs: z.number(),
  scheduling_timezone: z.string(),
  prebuild_status: status,
  last_invalidated_at: z.date().nullable(),
  failure_limit_reset_at: z.date().nullable(),
  /** The stored `prebuilds.autoscaling` block (see src/autoscaling/stored-policy.ts). */
  autoscaling: z.record(z.unknown()).nullable(),
  schedules: z.array(z.object({ cron: z.string(), instances: z.number() })),
});

const PRESET_STRINGS = [
  'id',
  'name',
  'template_id',
  'template_name',
  'organization_id',
  'organization_name',
  'template_version_id',
  'template_version_name',
  'scheduling_timezone',
] as const;
const PRESET_BOOLEANS = [
  'using_active_version',
  'template_deleted',
  'template_deprecated',
] as const;
const PRESET_STATUSES: readonly unknown[] = status.options;
const dateOrNull = (v: unknown) => v === null || v instanceof Date;
const isPlainObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The same check as PresetRowShape, hand-written: every pass reads one row per live preset (1,241
 * at 100k workspaces) and zod's object parse copied each of them, about 15 ms of Node.js CPU per
 * pass (bench/). The row is returned as it came.
 */
function isPresetRow(value: unknown): value is z.infer<typeof PresetRowShape> {
  if (!isPlainObject(value)) return false;
  const row = value as Record<string, unknown>;
  if (!PRESET_STRINGS.every((key) => typeof row[key] === 'string')) return false;
  if (!PRESET_BOOLEANS.every((key) => typeof row[key] === 'boolean')) return false;
  if (row.desired_instances !== null && typeof row.desired_instances !== 'number') return false;
  if (typeof row.ttl_secs !== 'number' || !PRESET_STATUSES.includes(row.prebuild_status)) {
    return false;
  }
  if (!dateOrNull(row.last_invalidated_at) || !dateOrNull(row.failure_limit_reset_at)) return false;
  if (row.autoscaling !== null && !isPlainObject(row.autoscaling)) return false;
  return (
    Array.isArray(row.schedules) &&
    row.schedules.every(
      (s: unknown) =>
        isPlainObject(s) &&
        typeof (s as Record<string, unknown>).cron === 'string' &&
        typeof (s as Record<string, unknown>).instances === 'number',
    )
  );
}

export const PresetRow = z.custom<z.infer<typeof PresetRowShape>>(isPresetRow, {
  message: 'not a preset row (see PresetRowShape in src/prebuilds/queries.ts)',
});

export const getPrebuildPresets = defineQuery<
  { include_active: boolean; extra_preset_ids: readonly string[] },
  typeof PresetRow
>('GetPrebuildPresets', PresetRow);

/** One prebuild of a group, positions as documented in sql/prebuilds/workspaces.sql. */
export type PrebuildTuple =
  | [
      id: string,
      name: string,
      state: 'running',
      transition: null,
      jobStatus: null,
      ready: boolean,
      completedMs: null,
      createdMs: number,
      failedDeletes: 0,
      deleteGivenUp: false,
    ]
  | [
      id: string,
      name: string,
      state: 'stopped_or_failed',
      transition: 'start' | 'stop' | 'delete',
      jobStatus: 'succeeded' | 'failed' | 'canceled',
      ready: boolean,
      completedMs: number,
      createdMs: number,
      failedDeletes: number,
      deleteGivenUp: boolean,
    ];

/** The prebuilds of one template, version and current preset (null: no build named one). */
export type PrebuildGroup = [
  templateId: string,
  templateVersionId: string,
  presetId: string | null,
  prebuilds: PrebuildTuple[],
];

const isString = (v: unknown): v is string => typeof v === 'string';
const TRANSITIONS: readonly unknown[] = ['start', 'stop', 'delete'];
const ENDED: readonly unknown[] = ['succeeded', 'failed', 'canceled'];

function isPrebuildTuple(value: unknown): value is PrebuildTuple {
  if (!Array.isArray(value) || value.length !== 10) return false;
  const [id, name, state, transition, job, ready, ended, created, failedDeletes, givenUp] =
    value as unknown[];
  if (typeof failedDeletes !== 'number' || typeof givenUp !== 'boolean') return false;
  if (!isString(id) || !isString(name)) return false;
  if (typeof ready !== 'boolean' || typeof created !== 'number') return false;
  if (state === 'running') return transition === null && job === null && ended === null;
  return (
    state === 'stopped_or_failed' &&
    TRANSITIONS.includes(transition) &&
    ENDED.includes(job) &&
    typeof ended === 'number'
  );
}

/**
 * A hand-written check instead of z.tuple: these arrays hold thousands of prebuilds per pass, and
 * zod would copy every one of them (measured at 100k workspaces: several ms and as much garbage).
 */
function isPrebuildGroup(value: unknown): value is PrebuildGroup {
  if (!Array.isArray(value) || value.length !== 4) return false;
  const [template, version, preset, prebuilds] = value as unknown[];
  if (!isString(template) || !isString(version)) return false;
  if (preset !== null && !isString(preset)) return false;
  return Array.isArray(prebuilds) && prebuilds.every(isPrebuildTuple);
}

export const PrebuildWorkspacesRow = z.object({
  prebuilds: z.array(
    z.custom<PrebuildGroup>(isPrebuildGroup, {
      message: 'not a prebuild group: [template, version, preset, [[id, name, state, ...], ...]]',
    }),
  ),
  grace_oldest_completed_at: z.date().nullable(),
});

export const getPrebuildWorkspaces = defineQuery<
  { completed_before: Date },
  typeof PrebuildWorkspacesRow
>('GetPrebuildWorkspaces', PrebuildWorkspacesRow);

export const InProgressRow = z.object({
  preset_id: z.string(),
  transition,
  count: z.number(),
});

export const countInProgressPrebuilds = defineQuery<Record<string, never>, typeof InProgressRow>(
  'CountInProgressPrebuilds',
  InProgressRow,
);

export const PendingRow = z.object({ preset_id: z.string(), count: z.number() });

export const countPendingInactivePrebuildJobs = defineQuery<
  Record<string, never>,
  typeof PendingRow
>('CountPendingInactivePrebuildJobs', PendingRow);

export const BackoffRow = z.object({
  preset_id: z.string(),
  failed_count: z.number(),
  last_failure_at: z.date(),
});

export const getPrebuildBackoffInputs = defineQuery<{ since: Date }, typeof BackoffRow>(
  'GetPrebuildBackoffInputs',
  BackoffRow,
);

export const StreakRow = z.object({
  preset_id: z.string(),
  considered: z.number(),
  failed: z.number(),
  last_failure_at: z.date().nullable(),
});

export const getPrebuildFailureStreaks = defineQuery<{ hard_limit: number }, typeof StreakRow>(
  'GetPrebuildFailureStreaks',
  StreakRow,
);
