-- Lifecycle jobs (seed 002): the scheduler writes what is due, executors run it.

CREATE TYPE workspace_lifecycle_operation AS ENUM ('start', 'stop', 'delete', 'dormant');

CREATE TABLE workspace_lifecycle_job (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- NULL = pending.
  started_at timestamptz,
  cancelled_at timestamptz,
  completed_at timestamptz,
  error text,
  workspace_id uuid NOT NULL REFERENCES workspaces (id),
  operation workspace_lifecycle_operation NOT NULL,
  -- Why: the build reason the executor gives the build (autostart, autostop, dormancy, ...).
  reason build_reason NOT NULL,
  -- When the job is to be executed.
  deadline timestamptz NOT NULL,
  -- What the executor did: the build it created, or why it skipped.
  build_id uuid REFERENCES workspace_builds (id),
  outcome text
);

-- At most one open (pending or started) job per workspace.
CREATE UNIQUE INDEX workspace_lifecycle_job_open ON workspace_lifecycle_job (workspace_id)
WHERE completed_at IS NULL AND cancelled_at IS NULL;

-- Executors: pending jobs by due time.
CREATE INDEX workspace_lifecycle_job_due ON workspace_lifecycle_job (deadline)
WHERE started_at IS NULL AND completed_at IS NULL AND cancelled_at IS NULL;

CREATE TABLE workspace_lifecycle_job_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_id uuid NOT NULL REFERENCES workspace_lifecycle_job (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  level log_level NOT NULL,
  output character varying(1024) NOT NULL
);

CREATE INDEX workspace_lifecycle_job_logs_job_id ON workspace_lifecycle_job_logs (job_id, created_at);

-- Candidate scans of the lifecycle scheduler (prebuilds excluded).
CREATE INDEX workspaces_next_start_at ON workspaces (next_start_at)
WHERE NOT deleted AND next_start_at IS NOT NULL AND owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid;

CREATE INDEX workspaces_dormancy ON workspaces (last_used_at)
WHERE NOT deleted AND dormant_at IS NULL AND owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid;

CREATE INDEX workspaces_deleting_at ON workspaces (deleting_at)
WHERE NOT deleted AND deleting_at IS NOT NULL;

CREATE INDEX workspace_builds_deadline ON workspace_builds (deadline)
WHERE deadline IS NOT NULL AND transition = 'start';
