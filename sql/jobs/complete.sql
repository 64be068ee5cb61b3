-- name: CompleteGetBuildContext
-- The build of a job and what its completion side effects depend on, read under the job's row
-- lock in the completion transaction.
SELECT
  b.id AS build_id,
  b.workspace_id,
  b.transition,
  b.build_number,
  b.created_at AS build_created_at,
  b.template_version_preset_id AS preset_id,
  w.owner_id,
  w.ttl,
  w.autostart_schedule,
  w.deleted AS workspace_deleted,
  t.id AS template_id,
  t.default_ttl,
  t.allow_user_autostop,
  t.autostop_requirement_days_of_week,
  t.autostop_requirement_weeks,
  t.autostart_block_days_of_week,
  u.quiet_hours_schedule,
  -- For coderd_workspace_creation_duration_seconds (a first build's labels).
  t.name AS template_name,
  o.name AS organization_name,
  COALESCE(p.name, '') AS preset_name
FROM workspace_builds b
JOIN workspaces w ON w.id = b.workspace_id
JOIN templates t ON t.id = w.template_id
JOIN organizations o ON o.id = t.organization_id
JOIN users u ON u.id = w.owner_id
LEFT JOIN template_version_presets p ON p.id = b.template_version_preset_id
WHERE b.job_id = :job_id::uuid;

-- name: CompleteSetBuildDeadline
UPDATE workspace_builds
SET deadline = :deadline::timestamptz,
    max_deadline = :max_deadline::timestamptz,
    updated_at = :now::timestamptz
WHERE id = :build_id::uuid;

-- name: CompleteUpsertAgents
-- The agents a build declared, with their lifecycle state.
INSERT INTO workspace_agents (
  workspace_id, workspace_build_id, name, lifecycle_state, started_at, ready_at, created_at,
  updated_at
)
SELECT
  :workspace_id::uuid,
  :build_id::uuid,
  a.name,
  a.state,
  CASE WHEN a.state <> 'created' THEN :now::timestamptz END,
  CASE WHEN a.state = 'ready' THEN :now::timestamptz END,
  :now::timestamptz,
  :now::timestamptz
FROM unnest(:names::text[], :states::workspace_agent_lifecycle_state[]) AS a (name, state)
ON CONFLICT (workspace_build_id, name) DO UPDATE
SET lifecycle_state = EXCLUDED.lifecycle_state,
    started_at = EXCLUDED.started_at,
    ready_at = EXCLUDED.ready_at,
    deleted = false,
    updated_at = EXCLUDED.updated_at;

-- name: CompleteSetNextStartAt
UPDATE workspaces
SET next_start_at = :next_start_at::timestamptz, updated_at = :now::timestamptz
WHERE id = :workspace_id::uuid AND next_start_at IS DISTINCT FROM :next_start_at::timestamptz;

-- name: CompleteMarkWorkspaceDeleted
-- A successful delete build: the workspace and its agents are gone (its name is free again).
WITH agents AS (
  UPDATE workspace_agents
  SET deleted = true, updated_at = :now::timestamptz
  WHERE workspace_id = :workspace_id::uuid AND NOT deleted
  RETURNING id
)
UPDATE workspaces
SET deleted = true, next_start_at = NULL, updated_at = :now::timestamptz
WHERE id = :workspace_id::uuid
RETURNING id, (SELECT count(*)::int FROM agents) AS agents_deleted;

-- name: MarkBuildAgentsReady
-- The echo provisioner's delayed readiness: agents still "starting" become "ready".
UPDATE workspace_agents
SET lifecycle_state = 'ready', ready_at = :now::timestamptz, updated_at = :now::timestamptz
WHERE workspace_build_id = :build_id::uuid AND lifecycle_state = 'starting' AND NOT deleted
RETURNING id, workspace_id;
