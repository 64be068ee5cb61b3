-- Workspaces, their builds and agents, and the provisioner job queue.

CREATE TYPE workspace_transition AS ENUM ('start', 'stop', 'delete');

CREATE TYPE build_reason AS ENUM (
  'initiator', 'autostart', 'autostop', 'dormancy', 'failedstop', 'autodelete', 'prebuild', 'claim'
);

CREATE TYPE automatic_updates AS ENUM ('always', 'never');

CREATE TYPE provisioner_job_type AS ENUM ('workspace_build');

CREATE TYPE provisioner_job_status AS ENUM (
  'pending', 'running', 'succeeded', 'canceling', 'canceled', 'failed'
);

CREATE TYPE log_level AS ENUM ('trace', 'debug', 'info', 'warn', 'error');

CREATE TYPE workspace_agent_lifecycle_state AS ENUM (
  'created', 'starting', 'start_timeout', 'start_error', 'ready',
  'shutting_down', 'shutdown_timeout', 'shutdown_error', 'off'
);

CREATE TABLE provisioner_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Also the heartbeat: a running job's daemon refreshes it; the reaper fails stale ones.
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  canceled_at timestamptz,
  completed_at timestamptz,
  error text,
  error_code text,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  initiator_id uuid NOT NULL REFERENCES users (id),
  provisioner provisioner_type NOT NULL,
  type provisioner_job_type NOT NULL DEFAULT 'workspace_build',
  input jsonb NOT NULL DEFAULT '{}',
  tags jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(tags) = 'object'),
  worker_id uuid,
  job_status provisioner_job_status NOT NULL GENERATED ALWAYS AS (
    CASE
      WHEN completed_at IS NOT NULL THEN
        CASE
          WHEN error <> '' THEN 'failed'::provisioner_job_status
          WHEN canceled_at IS NOT NULL THEN 'canceled'::provisioner_job_status
          ELSE 'succeeded'::provisioner_job_status
        END
      ELSE
        CASE
          WHEN error <> '' THEN 'failed'::provisioner_job_status
          WHEN canceled_at IS NOT NULL THEN 'canceling'::provisioner_job_status
          WHEN started_at IS NULL THEN 'pending'::provisioner_job_status
          ELSE 'running'::provisioner_job_status
        END
    END
  ) STORED
);

-- Acquisition: pending jobs, human-initiated before prebuilds, then oldest first.
CREATE INDEX provisioner_jobs_pending ON provisioner_jobs (
  (initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid), created_at
)
WHERE started_at IS NULL AND completed_at IS NULL AND canceled_at IS NULL;

-- Reaper and in-progress counts: jobs that are not finished.
CREATE INDEX provisioner_jobs_unfinished ON provisioner_jobs (updated_at)
WHERE completed_at IS NULL;

CREATE TABLE provisioner_job_logs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id uuid NOT NULL REFERENCES provisioner_jobs (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  level log_level NOT NULL DEFAULT 'info',
  stage text NOT NULL DEFAULT '',
  output text NOT NULL
);

CREATE INDEX provisioner_job_logs_job_id ON provisioner_job_logs (job_id, id);

CREATE TABLE provisioner_daemons (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  organization_id uuid REFERENCES organizations (id),
  provisioners provisioner_type[] NOT NULL,
  tags jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(tags) = 'object'),
  version text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT provisioner_daemons_name_key UNIQUE (name)
);

CREATE TABLE workspaces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  owner_id uuid NOT NULL REFERENCES users (id),
  organization_id uuid NOT NULL REFERENCES organizations (id),
  template_id uuid NOT NULL REFERENCES templates (id),
  deleted boolean NOT NULL DEFAULT false,
  name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
  -- Weekly cron with optional CRON_TZ= prefix; NULL = no autostart.
  autostart_schedule text,
  -- Cached next autostart instant (UTC), so the scheduler's candidate scan is index-backed.
  next_start_at timestamptz,
  -- Milliseconds until autostop after a start; NULL = no autostop.
  ttl bigint CHECK (ttl > 0),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  dormant_at timestamptz,
  deleting_at timestamptz,
  automatic_updates automatic_updates NOT NULL DEFAULT 'never'
);

CREATE UNIQUE INDEX workspaces_owner_id_name_key ON workspaces (owner_id, lower(name))
WHERE NOT deleted;

CREATE INDEX workspaces_template_id ON workspaces (template_id) WHERE NOT deleted;

-- Prebuilt workspaces: the reconciler's snapshot starts here.
CREATE INDEX workspaces_prebuilds ON workspaces (template_id, created_at)
WHERE owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid AND NOT deleted;

CREATE TABLE workspace_builds (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  workspace_id uuid NOT NULL REFERENCES workspaces (id),
  template_version_id uuid NOT NULL REFERENCES template_versions (id),
  build_number integer NOT NULL CHECK (build_number > 0),
  transition workspace_transition NOT NULL,
  initiator_id uuid NOT NULL REFERENCES users (id),
  job_id uuid NOT NULL REFERENCES provisioner_jobs (id),
  reason build_reason NOT NULL DEFAULT 'initiator',
  -- Autostop instant; NULL = none. Never after max_deadline when that is set.
  deadline timestamptz,
  max_deadline timestamptz,
  -- The deadline value an autostop reminder was last sent for (seed 001).
  notified_autostop_deadline timestamptz,
  template_version_preset_id uuid REFERENCES template_version_presets (id) ON DELETE SET NULL,
  CONSTRAINT workspace_builds_workspace_id_build_number_key UNIQUE (workspace_id, build_number),
  CONSTRAINT workspace_builds_job_id_key UNIQUE (job_id),
  CONSTRAINT workspace_builds_deadline_within_max
    CHECK (max_deadline IS NULL OR deadline IS NULL OR deadline <= max_deadline)
);

-- "Current preset" of a workspace: its latest build that names a preset.
CREATE INDEX workspace_builds_preset_per_workspace ON workspace_builds (workspace_id, build_number DESC)
WHERE template_version_preset_id IS NOT NULL;

-- Backoff and hard limit: a preset's prebuild creation builds, newest first.
CREATE INDEX workspace_builds_prebuild_creations ON workspace_builds (template_version_preset_id, created_at DESC)
WHERE initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid AND build_number = 1;

CREATE TABLE workspace_build_parameters (
  workspace_build_id uuid NOT NULL REFERENCES workspace_builds (id) ON DELETE CASCADE,
  name text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (workspace_build_id, name)
);

CREATE TABLE workspace_agents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  workspace_id uuid NOT NULL REFERENCES workspaces (id),
  workspace_build_id uuid NOT NULL REFERENCES workspace_builds (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
  lifecycle_state workspace_agent_lifecycle_state NOT NULL DEFAULT 'created',
  started_at timestamptz,
  ready_at timestamptz,
  deleted boolean NOT NULL DEFAULT false,
  CONSTRAINT workspace_agents_build_name_key UNIQUE (workspace_build_id, name)
);

CREATE INDEX workspace_agents_workspace_id ON workspace_agents (workspace_id);
