import { z } from 'zod';

import { defineQuery } from '../db/sql-files.js';
import { LifecycleStateRow } from './state.js';

/**
 * The lifecycle's SQL (sql/lifecycle/*.sql) bound to row schemas. Arrays of instants are passed
 * as ISO strings; nullable parameters as null.
 */

export const lifecycleCandidates = defineQuery<
  { now: Date; active_window_ms: number },
  typeof LifecycleStateRow
>('LifecycleCandidates', LifecycleStateRow);

export const lifecycleNextDue = defineQuery<
  { now: Date; horizon_ms: number },
  z.ZodObject<{ next_due_at: z.ZodNullable<z.ZodDate> }>
>('LifecycleNextDue', z.object({ next_due_at: z.date().nullable() }));

export const lifecycleStateByWorkspace = defineQuery<
  { workspace_id: string },
  typeof LifecycleStateRow
>('LifecycleStateByWorkspace', LifecycleStateRow);

export type LifecycleOperationName = 'start' | 'stop' | 'delete' | 'dormant';

const JobRow = z.object({
  id: z.string(),
  workspace_id: z.string(),
  operation: z.enum(['start', 'stop', 'delete', 'dormant']),
  reason: z.string(),
});

export const insertLifecycleJobs = defineQuery<
  {
    now: Date;
    workspace_ids: readonly string[];
    operations: readonly string[];
    reasons: readonly string[];
    deadlines: readonly string[];
    /** The latest build each decision was made from. */
    build_ids: readonly string[];
    /** The lifecycle job open when each decision was made (null for none). */
    open_job_ids: readonly (string | null)[];
  },
  z.ZodObject<typeof JobRow.shape & { deadline: z.ZodDate }>
>('InsertLifecycleJobs', JobRow.extend({ deadline: z.date() }));

export const cancelStaleLifecycleJobs = defineQuery<
  {
    now: Date;
    workspace_ids: readonly string[];
    operations: readonly string[];
    reasons: readonly string[];
  },
  typeof JobRow
>('CancelStaleLifecycleJobs', JobRow);

export const AcquiredJob = JobRow.extend({
  deadline: z.date(),
  created_at: z.date(),
  started_at: z.date(),
});
export type AcquiredJob = z.infer<typeof AcquiredJob>;

export const acquireLifecycleJobs = defineQuery<{ now: Date; limit: number }, typeof AcquiredJob>(
  'AcquireLifecycleJobs',
  AcquiredJob,
);

const IdRow = z.object({ id: z.string() });

export const completeLifecycleJob = defineQuery<
  { id: string; now: Date; build_id: string | null; outcome: string },
  typeof IdRow
>('CompleteLifecycleJob', IdRow);

export const failLifecycleJob = defineQuery<{ id: string; now: Date; error: string }, typeof IdRow>(
  'FailLifecycleJob',
  IdRow,
);

export const deleteOldLifecycleJobs = defineQuery<{ before: Date; max_rows: number }, typeof IdRow>(
  'DeleteOldLifecycleJobs',
  IdRow,
);

export const failAbandonedLifecycleJobs = defineQuery<
  { now: Date; started_before: Date },
  z.ZodObject<{ id: z.ZodString; workspace_id: z.ZodString }>
>('FailAbandonedLifecycleJobs', z.object({ id: z.string(), workspace_id: z.string() }));

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export const insertLifecycleJobLog = defineQuery<
  { job_id: string; now: Date; level: LogLevel; output: string },
  typeof IdRow
>('InsertLifecycleJobLog', IdRow);

export const insertLifecycleJobLogs = defineQuery<
  {
    now: Date;
    job_ids: readonly string[];
    levels: readonly LogLevel[];
    outputs: readonly string[];
  },
  z.ZodTypeAny
>('InsertLifecycleJobLogs', z.object({}));

export const LifecycleJobLog = z.object({
  id: z.string(),
  job_id: z.string(),
  created_at: z.date(),
  level: z.string(),
  output: z.string(),
});

export const lifecycleJobLogs = defineQuery<{ job_id: string }, typeof LifecycleJobLog>(
  'LifecycleJobLogs',
  LifecycleJobLog,
);

export const LifecycleJob = JobRow.extend({
  deadline: z.date(),
  created_at: z.date(),
  updated_at: z.date(),
  started_at: z.date().nullable(),
  cancelled_at: z.date().nullable(),
  completed_at: z.date().nullable(),
  error: z.string().nullable(),
  build_id: z.string().nullable(),
  outcome: z.string().nullable(),
});
export type LifecycleJob = z.infer<typeof LifecycleJob>;

export const lifecycleJobById = defineQuery<{ id: string }, typeof LifecycleJob>(
  'LifecycleJobById',
  LifecycleJob,
);

export const stampAutostopReminder = defineQuery<
  { build_id: string; autostop_at: Date; now: Date },
  typeof IdRow
>('StampAutostopReminder', IdRow);

export const rearmAutostopReminder = defineQuery<
  { build_id: string; autostop_at: Date; now: Date },
  typeof IdRow
>('RearmAutostopReminder', IdRow);

export const setWorkspaceAutostart = defineQuery<
  { workspace_id: string; schedule: string | null; next_start_at: Date | null; now: Date },
  z.ZodObject<{
    id: z.ZodString;
    autostart_schedule: z.ZodNullable<z.ZodString>;
    next_start_at: z.ZodNullable<z.ZodDate>;
  }>
>(
  'SetWorkspaceAutostart',
  z.object({
    id: z.string(),
    autostart_schedule: z.string().nullable(),
    next_start_at: z.date().nullable(),
  }),
);

export const setWorkspacesNextStartAt = defineQuery<
  { workspace_ids: readonly string[]; next_start_ats: readonly (string | null)[] },
  z.ZodObject<{ id: z.ZodString; next_start_at: z.ZodNullable<z.ZodDate> }>
>('SetWorkspacesNextStartAt', z.object({ id: z.string(), next_start_at: z.date().nullable() }));

export const setWorkspaceTtl = defineQuery<
  { workspace_id: string; ttl_ms: number | null; now: Date },
  z.ZodObject<{ id: z.ZodString; ttl: z.ZodNullable<z.ZodNumber> }>
>('SetWorkspaceTtl', z.object({ id: z.string(), ttl: z.number().nullable() }));

const DeadlineRow = z.object({
  id: z.string(),
  deadline: z.date().nullable(),
  max_deadline: z.date().nullable(),
});

export const resetRunningDeadline = defineQuery<
  { workspace_id: string; now: Date },
  typeof DeadlineRow
>('ResetRunningDeadline', DeadlineRow);

export const extendWorkspaceDeadline = defineQuery<
  { workspace_id: string; build_id: string; deadline: Date; now: Date },
  typeof DeadlineRow
>('ExtendWorkspaceDeadline', DeadlineRow);

export const applyActivityBump = defineQuery<
  { build_id: string; expected_deadline: Date; deadline: Date; now: Date },
  z.ZodObject<{ id: z.ZodString; deadline: z.ZodDate }>
>('ApplyActivityBump', z.object({ id: z.string(), deadline: z.date() }));

export const touchWorkspaceLastUsed = defineQuery<
  { workspace_id: string; now: Date },
  z.ZodObject<{ id: z.ZodString; last_used_at: z.ZodDate }>
>('TouchWorkspaceLastUsed', z.object({ id: z.string(), last_used_at: z.date() }));

const DormancyRow = z.object({
  id: z.string(),
  dormant_at: z.date().nullable(),
  deleting_at: z.date().nullable(),
});

export const markWorkspaceDormant = defineQuery<
  { workspace_id: string; now: Date },
  typeof DormancyRow
>('MarkWorkspaceDormant', DormancyRow);

export const clearWorkspaceDormant = defineQuery<
  { workspace_id: string; now: Date; next_start_at: Date | null },
  z.ZodObject<typeof DormancyRow.shape & { last_used_at: z.ZodDate }>
>('ClearWorkspaceDormant', DormancyRow.extend({ last_used_at: z.date() }));
