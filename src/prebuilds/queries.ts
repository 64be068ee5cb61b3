import { z } from 'zod';

import { defineQuery } from '../db/sql-files.js';

// Typed handles of the queries in sql/prebuilds/. Rows are validated at the boundary by the
// pool's result parser, so a renamed column or a changed type fails loudly.

const status = z.enum(['healthy', 'hard_limited', 'validation_failed']);
const transition = z.enum(['start', 'stop', 'delete']);

export const PresetRow = z.object({
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

export const getPrebuildPresets = defineQuery<
  { include_active: boolean; extra_preset_ids: readonly string[] },
  typeof PresetRow
>('GetPrebuildPresets', PresetRow);

/** One prebuild, positions as documented in sql/prebuilds/workspaces.sql. */
export type PrebuildTuple =
  | [
      id: string,
      name: string,
      ownerId: string,
      templateId: string,
      templateVersionId: string,
      presetId: string | null,
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
      ownerId: string,
      templateId: string,
      templateVersionId: string,
      presetId: string | null,
      state: 'stopped_or_failed',
      transition: 'start' | 'stop' | 'delete',
      jobStatus: 'succeeded' | 'failed' | 'canceled',
      ready: boolean,
      completedMs: number,
      createdMs: number,
      failedDeletes: number,
      deleteGivenUp: boolean,
    ];

const isString = (v: unknown): v is string => typeof v === 'string';
const TRANSITIONS: readonly unknown[] = ['start', 'stop', 'delete'];
const ENDED: readonly unknown[] = ['succeeded', 'failed', 'canceled'];

/**
 * A hand-written check instead of z.tuple: this array holds thousands of entries per pass, and
 * zod would copy every one of them (measured at 100k workspaces: several ms and as much garbage).
 */
function isPrebuildTuple(value: unknown): value is PrebuildTuple {
  if (!Array.isArray(value) || value.length !== 14) return false;
  const [
    id,
    name,
    owner,
    template,
    version,
    preset,
    state,
    transition,
    job,
    ready,
    ended,
    created,
    failedDeletes,
    givenUp,
  ] = value as unknown[];
  if (typeof failedDeletes !== 'number' || typeof givenUp !== 'boolean') return false;
  if (![id, name, owner, template, version].every(isString)) return false;
  if (preset !== null && !isString(preset)) return false;
  if (typeof ready !== 'boolean' || typeof created !== 'number') return false;
  if (state === 'running') return transition === null && job === null && ended === null;
  return (
    state === 'stopped_or_failed' &&
    TRANSITIONS.includes(transition) &&
    ENDED.includes(job) &&
    typeof ended === 'number'
  );
}

export const PrebuildWorkspacesRow = z.object({
  prebuilds: z.array(
    z.custom<PrebuildTuple>(isPrebuildTuple, {
      message: 'not a prebuild: [id, name, owner, template, version, preset, state, ...]',
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
