import { z } from 'zod';

/** The prebuilds system user: jobs it initiates are acquired after human-initiated ones. */
export const SYSTEM_USER_ID = 'c42fdf75-3097-471c-8c33-fb52454d81c0';

export const PROVISIONER_TYPES = ['echo', 'exec'] as const;
export type ProvisionerType = (typeof PROVISIONER_TYPES)[number];

export const TRANSITIONS = ['start', 'stop', 'delete'] as const;
/** The `provisioner_job_type` enum (migration 0003). */
export const JOB_TYPES = ['workspace_build'] as const;
export type Transition = (typeof TRANSITIONS)[number];

export const BUILD_REASONS = [
  'initiator',
  'autostart',
  'autostop',
  'dormancy',
  'failedstop',
  'autodelete',
  'prebuild',
  'claim',
] as const;
export type BuildReason = (typeof BUILD_REASONS)[number];

export const AGENT_LIFECYCLE_STATES = [
  'created',
  'starting',
  'start_timeout',
  'start_error',
  'ready',
  'shutting_down',
  'shutdown_timeout',
  'shutdown_error',
  'off',
] as const;
export type AgentLifecycleState = (typeof AGENT_LIFECYCLE_STATES)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type JobLogLevel = (typeof LOG_LEVELS)[number];

export type Tags = Readonly<Record<string, string>>;

const tagsSchema = z.record(z.string());

/** A provisioner_jobs row as the queue's statements return it. */
export const JobRow = z.object({
  id: z.string(),
  created_at: z.date(),
  updated_at: z.date(),
  started_at: z.date().nullable(),
  canceled_at: z.date().nullable(),
  completed_at: z.date().nullable(),
  error: z.string().nullable(),
  error_code: z.string().nullable(),
  organization_id: z.string(),
  initiator_id: z.string(),
  // Lenient on purpose: a row the acquirer already marked started must never fail validation
  // (the job would be lost until the reaper); the runner checks provisioner and input itself.
  provisioner: z.string(),
  type: z.string(),
  input: z.unknown(),
  tags: tagsSchema.catch({}),
  worker_id: z.string().nullable(),
  job_status: z.string(),
});
export type JobRow = z.infer<typeof JobRow>;

/** Exec settings a template version may carry at `config.exec`. */
export const ExecConfig = z.object({
  /** The name of a daemon's command, or (admin-pushed, where daemons allow it) a literal one. */
  command: z.string().min(1, 'must not be empty').optional(),
  /** Set by the push, never by the template: an admin token pushed this literal command. */
  pushed_by_admin: z.boolean().optional(),
  /** Milliseconds, or a duration text such as "10m". */
  timeout: z.union([z.number().positive(), z.string().min(1)]).nullish(),
});
export type ExecConfig = z.infer<typeof ExecConfig>;

/**
 * The `input` of a workspace build job: everything a provisioner needs, so it never reads the
 * database. Written by enqueueWorkspaceBuild; exec commands receive it as JSON on stdin.
 */
export const BuildJobInput = z.object({
  workspace_build_id: z.string(),
  workspace_id: z.string(),
  workspace_name: z.string(),
  owner_id: z.string(),
  owner_name: z.string(),
  transition: z.enum(TRANSITIONS),
  build_number: z.number().int().positive(),
  reason: z.enum(BUILD_REASONS),
  is_prebuild: z.boolean(),
  template_id: z.string(),
  template_name: z.string(),
  template_version_id: z.string(),
  template_version_name: z.string(),
  preset_id: z.string().nullable(),
  preset_name: z.string().nullable(),
  parameters: z.record(z.string()),
  exec: ExecConfig.nullable(),
});
export type BuildJobInput = z.infer<typeof BuildJobInput>;

/** Stable `error_code` values of failed jobs. */
export const JOB_ERROR_CODES = {
  invalidInput: 'invalid_input',
  unknownProvisioner: 'unknown_provisioner',
  missingCommand: 'missing_command',
  unknownCommand: 'unknown_command',
  commandRefused: 'command_refused',
  provisionerFailed: 'provisioner_failed',
  timeout: 'timeout',
  invalidAgents: 'invalid_agents',
  interrupted: 'interrupted',
  heartbeatTimeout: 'heartbeat_timeout',
  internal: 'internal_error',
} as const;
