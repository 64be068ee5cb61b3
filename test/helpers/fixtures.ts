import { randomBytes } from 'node:crypto';

import { sql } from 'slonik';
import { z } from 'zod';

import type { Db } from '../../src/db/sql-files.js';

/** The fixed id of the prebuilds system user. */
export const SYSTEM_USER_ID = 'c42fdf75-3097-471c-8c33-fb52454d81c0';

const Id = z.object({ id: z.string() });
const suffix = () => randomBytes(4).toString('hex');
const ts = (value: Date | undefined) => (value ? value.toISOString() : null);

export async function defaultOrgId(db: Db): Promise<string> {
  return db.oneFirst(sql.type(Id)`SELECT id FROM organizations WHERE name = 'default'`);
}

export async function createOrg(db: Db, name = `org-${suffix()}`): Promise<string> {
  return db.oneFirst(sql.type(Id)`INSERT INTO organizations (name) VALUES (${name}) RETURNING id`);
}

export interface UserInput {
  username?: string;
  status?: 'active' | 'suspended' | 'dormant';
  quietHours?: string;
  roles?: string[];
}

export async function createUser(db: Db, input: UserInput = {}): Promise<string> {
  const username = input.username ?? `user-${suffix()}`;
  return db.oneFirst(sql.type(Id)`
    INSERT INTO users (username, email, status, quiet_hours_schedule, roles)
    VALUES (${username}, ${username + '@example.com'}, ${input.status ?? 'active'},
            ${input.quietHours ?? ''}, ${sql.array(input.roles ?? [], 'text')})
    RETURNING id`);
}

export interface TemplateInput {
  organizationId?: string;
  name?: string;
  provisioner?: 'echo' | 'exec';
  deleted?: boolean;
  deprecated?: string;
  defaultTtlMs?: number;
  activityBumpMs?: number;
  failureTtlMs?: number;
  timeTilDormantMs?: number;
  timeTilDormantAutodeleteMs?: number;
  timeTilAutostopNotifyMs?: number;
  autostopRequirementDaysOfWeek?: number;
  autostopRequirementWeeks?: number;
  autostartBlockDaysOfWeek?: number;
  requireActiveVersion?: boolean;
  allowUserAutostart?: boolean;
  allowUserAutostop?: boolean;
}

export async function createTemplate(db: Db, input: TemplateInput = {}): Promise<string> {
  const organizationId = input.organizationId ?? (await defaultOrgId(db));
  return db.oneFirst(sql.type(Id)`
    INSERT INTO templates (
      organization_id, name, provisioner, deleted, deprecated, default_ttl, activity_bump,
      failure_ttl, time_til_dormant, time_til_dormant_autodelete, time_til_autostop_notify,
      autostop_requirement_days_of_week, autostop_requirement_weeks, autostart_block_days_of_week,
      require_active_version, allow_user_autostart, allow_user_autostop)
    VALUES (
      ${organizationId}, ${input.name ?? `tpl-${suffix()}`}, ${input.provisioner ?? 'echo'},
      ${input.deleted ?? false}, ${input.deprecated ?? ''}, ${input.defaultTtlMs ?? 0},
      ${input.activityBumpMs ?? 3_600_000}, ${input.failureTtlMs ?? 0},
      ${input.timeTilDormantMs ?? 0}, ${input.timeTilDormantAutodeleteMs ?? 0},
      ${input.timeTilAutostopNotifyMs ?? 0}, ${input.autostopRequirementDaysOfWeek ?? 0},
      ${input.autostopRequirementWeeks ?? 1}, ${input.autostartBlockDaysOfWeek ?? 0},
      ${input.requireActiveVersion ?? false}, ${input.allowUserAutostart ?? true},
      ${input.allowUserAutostop ?? true})
    RETURNING id`);
}

export interface VersionInput {
  templateId: string;
  name?: string;
  activate?: boolean;
  tags?: Record<string, string>;
  provisioner?: 'echo' | 'exec';
  createdAt?: Date;
  /** The version's config JSON, e.g. `{ exec: { command: './build.sh', timeout: '10m' } }`. */
  config?: Record<string, unknown>;
}

export async function createTemplateVersion(db: Db, input: VersionInput): Promise<string> {
  const id = await db.oneFirst(sql.type(Id)`
    INSERT INTO template_versions (template_id, organization_id, name, provisioner, tags, created_at,
      config)
    SELECT t.id, t.organization_id, ${input.name ?? `v-${suffix()}`},
           ${input.provisioner ?? 'echo'}, ${sql.jsonb(input.tags ?? {})},
           COALESCE(${ts(input.createdAt)}::timestamptz, now()),
           ${sql.jsonb((input.config ?? {}) as Parameters<typeof sql.jsonb>[0])}
    FROM templates t WHERE t.id = ${input.templateId}
    RETURNING id`);
  if (input.activate ?? true) {
    await db.query(
      sql.unsafe`UPDATE templates SET active_version_id = ${id} WHERE id = ${input.templateId}`,
    );
  }
  return id;
}

export interface PresetInput {
  versionId: string;
  name?: string;
  /** undefined = no prebuilds (NULL). */
  desiredInstances?: number;
  ttlSecs?: number;
  timezone?: string;
  isDefault?: boolean;
  parameters?: Record<string, string>;
  schedules?: { cron: string; instances: number }[];
  lastInvalidatedAt?: Date;
  failureLimitResetAt?: Date;
  status?: 'healthy' | 'hard_limited' | 'validation_failed';
}

export async function createPreset(db: Db, input: PresetInput): Promise<string> {
  const id = await db.oneFirst(sql.type(Id)`
    INSERT INTO template_version_presets (
      template_version_id, name, desired_instances, invalidate_after_secs, scheduling_timezone,
      is_default, last_invalidated_at, failure_limit_reset_at, prebuild_status)
    VALUES (${input.versionId}, ${input.name ?? `preset-${suffix()}`},
            ${input.desiredInstances ?? null}, ${input.ttlSecs ?? 0}, ${input.timezone ?? ''},
            ${input.isDefault ?? false}, ${ts(input.lastInvalidatedAt)},
            ${ts(input.failureLimitResetAt)}, ${input.status ?? 'healthy'})
    RETURNING id`);
  for (const [name, value] of Object.entries(input.parameters ?? {})) {
    await db.query(sql.unsafe`
      INSERT INTO template_version_preset_parameters (template_version_preset_id, name, value)
      VALUES (${id}, ${name}, ${value})`);
  }
  for (const [position, schedule] of (input.schedules ?? []).entries()) {
    await db.query(sql.unsafe`
      INSERT INTO template_version_preset_prebuild_schedules
        (preset_id, position, cron_expression, desired_instances)
      VALUES (${id}, ${position}, ${schedule.cron}, ${schedule.instances})`);
  }
  return id;
}

export interface WorkspaceInput {
  ownerId: string;
  templateId: string;
  name?: string;
  createdAt?: Date;
  autostartSchedule?: string;
  nextStartAt?: Date;
  ttlMs?: number;
  lastUsedAt?: Date;
  dormantAt?: Date;
  deletingAt?: Date;
  deleted?: boolean;
}

export async function createWorkspace(db: Db, input: WorkspaceInput): Promise<string> {
  const prefix = input.ownerId === SYSTEM_USER_ID ? 'prebuild' : 'ws';
  return db.oneFirst(sql.type(Id)`
    INSERT INTO workspaces (owner_id, organization_id, template_id, name, created_at,
      autostart_schedule, next_start_at, ttl, last_used_at, dormant_at, deleting_at, deleted)
    SELECT ${input.ownerId}, t.organization_id, t.id, ${input.name ?? `${prefix}-${suffix()}`},
           COALESCE(${ts(input.createdAt)}::timestamptz, now()), ${input.autostartSchedule ?? null},
           ${ts(input.nextStartAt)}, ${input.ttlMs ?? null},
           COALESCE(${ts(input.lastUsedAt)}::timestamptz, now()), ${ts(input.dormantAt)},
           ${ts(input.deletingAt)}, ${input.deleted ?? false}
    FROM templates t WHERE t.id = ${input.templateId}
    RETURNING id`);
}

export type JobState = 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'canceling';

export interface JobInput {
  organizationId?: string;
  initiatorId: string;
  state?: JobState;
  provisioner?: 'echo' | 'exec';
  tags?: Record<string, string>;
  createdAt?: Date;
  completedAt?: Date;
  input?: Record<string, string | number | boolean | null>;
}

export async function createJob(db: Db, input: JobInput): Promise<string> {
  const state = input.state ?? 'succeeded';
  const created = input.createdAt ?? new Date();
  const started = state === 'pending' ? null : created.toISOString();
  const finished = ['succeeded', 'failed', 'canceled'].includes(state)
    ? (input.completedAt ?? created).toISOString()
    : null;
  const canceled = state === 'canceled' || state === 'canceling' ? created.toISOString() : null;
  const error = state === 'failed' ? 'build failed' : null;
  return db.oneFirst(sql.type(Id)`
    INSERT INTO provisioner_jobs (organization_id, initiator_id, provisioner, input, tags,
      created_at, updated_at, started_at, completed_at, canceled_at, error)
    VALUES (${input.organizationId ?? (await defaultOrgId(db))}, ${input.initiatorId},
      ${input.provisioner ?? 'echo'}, ${sql.jsonb(input.input ?? {})},
      ${sql.jsonb(input.tags ?? {})}, ${created.toISOString()}, ${created.toISOString()},
      ${started}, ${finished}, ${canceled}, ${error})
    RETURNING id`);
}

export interface BuildInput {
  workspaceId: string;
  versionId: string;
  transition?: 'start' | 'stop' | 'delete';
  initiatorId: string;
  jobState?: JobState;
  presetId?: string;
  buildNumber?: number;
  reason?: string;
  createdAt?: Date;
  completedAt?: Date;
  deadline?: Date;
  maxDeadline?: Date;
  notifiedAutostopDeadline?: Date;
}

export interface BuildRow {
  buildId: string;
  jobId: string;
}

export async function createBuild(db: Db, input: BuildInput): Promise<BuildRow> {
  const jobId = await createJob(db, {
    initiatorId: input.initiatorId,
    state: input.jobState ?? 'succeeded',
    ...(input.createdAt ? { createdAt: input.createdAt } : {}),
    ...(input.completedAt ? { completedAt: input.completedAt } : {}),
  });
  const buildId = await db.oneFirst(sql.type(Id)`
    INSERT INTO workspace_builds (workspace_id, template_version_id, build_number, transition,
      initiator_id, job_id, reason, template_version_preset_id, created_at, deadline, max_deadline,
      notified_autostop_deadline)
    VALUES (${input.workspaceId}, ${input.versionId},
      COALESCE(${input.buildNumber ?? null}::int,
        (SELECT COALESCE(MAX(build_number), 0) + 1 FROM workspace_builds WHERE workspace_id = ${input.workspaceId})),
      ${input.transition ?? 'start'}, ${input.initiatorId}, ${jobId}, ${input.reason ?? 'initiator'},
      ${input.presetId ?? null}, COALESCE(${ts(input.createdAt)}::timestamptz, now()),
      ${ts(input.deadline)}, ${ts(input.maxDeadline)}, ${ts(input.notifiedAutostopDeadline)})
    RETURNING id`);
  return { buildId, jobId };
}

export async function createAgent(
  db: Db,
  input: { workspaceId: string; buildId: string; name?: string; state?: string },
): Promise<string> {
  return db.oneFirst(sql.type(Id)`
    INSERT INTO workspace_agents (workspace_id, workspace_build_id, name, lifecycle_state, ready_at)
    VALUES (${input.workspaceId}, ${input.buildId}, ${input.name ?? 'main'},
            ${input.state ?? 'ready'},
            CASE WHEN ${input.state ?? 'ready'} = 'ready' THEN now() END)
    RETURNING id`);
}

export interface PrebuildInput {
  templateId: string;
  versionId: string;
  presetId: string;
  ready?: boolean;
  jobState?: JobState;
  transition?: 'start' | 'stop' | 'delete';
  createdAt?: Date;
  /** When the build's job finished (default: createdAt). */
  completedAt?: Date;
  /** A soft-deleted workspace: only its build history remains relevant. */
  deleted?: boolean;
  /** No agent at all (such a prebuild is never ready). */
  noAgent?: boolean;
}

/**
 * A prebuilt workspace: system-owned, one build with the preset, and for a succeeded start one
 * agent (ready or not) unless `noAgent`.
 */
export async function createPrebuild(
  db: Db,
  input: PrebuildInput,
): Promise<{ workspaceId: string } & BuildRow> {
  const workspaceId = await createWorkspace(db, {
    ownerId: SYSTEM_USER_ID,
    templateId: input.templateId,
    ...(input.createdAt ? { createdAt: input.createdAt } : {}),
    ...(input.deleted ? { deleted: true } : {}),
  });
  const build = await createBuild(db, {
    workspaceId,
    versionId: input.versionId,
    initiatorId: SYSTEM_USER_ID,
    presetId: input.presetId,
    transition: input.transition ?? 'start',
    jobState: input.jobState ?? 'succeeded',
    reason: 'prebuild',
    ...(input.createdAt ? { createdAt: input.createdAt } : {}),
    ...(input.completedAt ? { completedAt: input.completedAt } : {}),
  });
  if (
    !input.noAgent &&
    (input.jobState ?? 'succeeded') === 'succeeded' &&
    (input.transition ?? 'start') === 'start'
  ) {
    await createAgent(db, {
      workspaceId,
      buildId: build.buildId,
      state: input.ready === false ? 'starting' : 'ready',
    });
  }
  return { workspaceId, ...build };
}
