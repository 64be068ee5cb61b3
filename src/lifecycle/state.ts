import { z } from 'zod';

import type {
  JobStatus,
  LifecycleState,
  Transition,
  UserStatus,
} from '../domain/lifecycle/types.js';

const date = z.date();
const transition = z.enum(['start', 'stop', 'delete']);
const jobStatus = z.enum(['pending', 'running', 'succeeded', 'canceling', 'canceled', 'failed']);

/** A row of the `workspace_lifecycle_states` view (migration 0007). */
export const LifecycleStateRow = z.object({
  workspace_id: z.string(),
  workspace_name: z.string(),
  owner_id: z.string(),
  organization_id: z.string(),
  template_id: z.string(),
  autostart_schedule: z.string().nullable(),
  next_start_at: date.nullable(),
  ttl: z.number().nullable(),
  last_used_at: date,
  dormant_at: date.nullable(),
  deleting_at: date.nullable(),
  automatic_updates: z.enum(['always', 'never']),
  owner_username: z.string(),
  owner_status: z.enum(['active', 'suspended', 'dormant']),
  owner_quiet_hours_schedule: z.string(),
  template_name: z.string(),
  active_version_id: z.string().nullable(),
  require_active_version: z.boolean(),
  allow_user_autostart: z.boolean(),
  allow_user_autostop: z.boolean(),
  default_ttl: z.number(),
  activity_bump: z.number(),
  autostop_requirement_days_of_week: z.number(),
  autostop_requirement_weeks: z.number(),
  autostart_block_days_of_week: z.number(),
  failure_ttl: z.number(),
  time_til_dormant: z.number(),
  time_til_dormant_autodelete: z.number(),
  time_til_autostop_notify: z.number(),
  build_id: z.string(),
  build_number: z.number(),
  transition,
  build_created_at: date,
  build_template_version_id: z.string(),
  build_reason: z.string(),
  deadline: date.nullable(),
  max_deadline: date.nullable(),
  notified_autostop_deadline: date.nullable(),
  job_id: z.string(),
  job_status: jobStatus,
  job_completed_at: date.nullable(),
  job_canceled_at: date.nullable(),
  job_error: z.string().nullable(),
  lifecycle_job_id: z.string().nullable(),
  lifecycle_job_operation: z.string().nullable(),
  lifecycle_job_reason: z.string().nullable(),
  lifecycle_job_deadline: date.nullable(),
  lifecycle_job_started_at: date.nullable(),
});
export type LifecycleStateRow = z.infer<typeof LifecycleStateRow>;

/** The pure decisions' view of a state row. */
export function toLifecycleState(row: LifecycleStateRow): LifecycleState {
  return {
    workspace: {
      id: row.workspace_id,
      ownerId: row.owner_id,
      deleted: false,
      autostartSchedule: row.autostart_schedule,
      nextStartAt: row.next_start_at,
      ttlMs: row.ttl,
      lastUsedAt: row.last_used_at,
      dormantAt: row.dormant_at,
      deletingAt: row.deleting_at,
    },
    latestBuild: {
      id: row.build_id,
      transition: row.transition satisfies Transition,
      createdAt: row.build_created_at,
      deadline: row.deadline,
      maxDeadline: row.max_deadline,
      notifiedAutostopDeadline: row.notified_autostop_deadline,
    },
    job: {
      status: row.job_status satisfies JobStatus,
      completedAt: row.job_completed_at,
      canceledAt: row.job_canceled_at,
    },
    template: {
      allowUserAutostart: row.allow_user_autostart,
      allowUserAutostop: row.allow_user_autostop,
      defaultTtlMs: row.default_ttl,
      activityBumpMs: row.activity_bump,
      autostopRequirementDaysOfWeek: row.autostop_requirement_days_of_week,
      autostopRequirementWeeks: row.autostop_requirement_weeks,
      autostartBlockDaysOfWeek: row.autostart_block_days_of_week,
      failureTtlMs: row.failure_ttl,
      timeTilDormantMs: row.time_til_dormant,
      timeTilDormantAutodeleteMs: row.time_til_dormant_autodelete,
      timeTilAutostopNotifyMs: row.time_til_autostop_notify,
    },
    owner: { id: row.owner_id, status: row.owner_status satisfies UserStatus },
  };
}
