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
  schedules: z.array(z.object({ cron: z.string(), instances: z.number() })),
});

export const getPrebuildPresets = defineQuery<
  { extra_preset_ids: readonly string[] },
  typeof PresetRow
>('GetPrebuildPresets', PresetRow);

export const PrebuildWorkspaceRow = z.object({
  id: z.string(),
  name: z.string(),
  owner_id: z.string(),
  template_id: z.string(),
  template_version_id: z.string(),
  current_preset_id: z.string().nullable(),
  state: z.enum(['running', 'stopped_or_failed']),
  transition,
  job_status: z.enum(['succeeded', 'failed', 'canceled']),
  completed_at: z.date(),
  ready: z.boolean(),
  created_at: z.date(),
});

export const getPrebuildWorkspaces = defineQuery<
  { completed_before: Date },
  typeof PrebuildWorkspaceRow
>('GetPrebuildWorkspaces', PrebuildWorkspaceRow);

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
