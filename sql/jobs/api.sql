-- name: GetProvisionerJob
-- One job with its workspace build (NULL when the job has none) and the daemon that ran it.
SELECT
  j.id,
  j.created_at,
  j.updated_at,
  j.started_at,
  j.canceled_at,
  j.canceled_by,
  j.completed_at,
  j.job_status::text AS status,
  j.error,
  j.error_code,
  j.organization_id,
  j.initiator_id,
  j.provisioner::text AS provisioner,
  j.type::text AS type,
  j.input,
  j.tags,
  j.worker_id,
  d.name AS worker_name,
  b.id AS build_id,
  b.workspace_id,
  b.build_number,
  b.transition::text AS transition,
  b.reason::text AS reason,
  b.template_version_preset_id AS preset_id
FROM provisioner_jobs j
LEFT JOIN workspace_builds b ON b.job_id = j.id
LEFT JOIN provisioner_daemons d ON d.id = j.worker_id
WHERE j.id = :job_id::uuid;

-- name: ListProvisionerJobLogs
-- Log lines after a given line id (0 = from the start), oldest first.
SELECT id, created_at, level::text AS level, stage, output
FROM provisioner_job_logs
WHERE job_id = :job_id::uuid AND id > :after::bigint
ORDER BY id
LIMIT :limit::int;

-- name: CancelProvisionerJob
-- A pending job is canceled at once (completed_at set, so no daemon takes it); a running one
-- becomes "canceling" until its daemon sees canceled_at at a heartbeat and stops it.
UPDATE provisioner_jobs
SET canceled_at = :now::timestamptz,
    canceled_by = :canceled_by::text,
    updated_at = :now::timestamptz,
    completed_at = CASE WHEN started_at IS NULL THEN :now::timestamptz ELSE completed_at END
WHERE id = :job_id::uuid AND completed_at IS NULL AND canceled_at IS NULL
RETURNING id, job_status::text AS status;

-- name: AgentLifecycleGetWorkspace
SELECT id FROM workspaces WHERE id = :workspace_id::uuid AND NOT deleted;

-- name: UpdateAgentLifecycle
-- An agent of the workspace's latest build reports its lifecycle state.
UPDATE workspace_agents a
SET lifecycle_state = :state::workspace_agent_lifecycle_state,
    updated_at = :now::timestamptz,
    started_at = CASE
      WHEN :state::workspace_agent_lifecycle_state = 'created' THEN a.started_at
      ELSE COALESCE(a.started_at, :now::timestamptz)
    END,
    ready_at = CASE
      WHEN :state::workspace_agent_lifecycle_state = 'ready' THEN COALESCE(a.ready_at, :now::timestamptz)
      ELSE a.ready_at
    END
WHERE a.workspace_build_id = (
    SELECT b.id
    FROM workspace_builds b
    WHERE b.workspace_id = :workspace_id::uuid
    ORDER BY b.build_number DESC
    LIMIT 1
  )
  AND a.name = :name::text
  AND NOT a.deleted
RETURNING
  a.id, a.workspace_id, a.workspace_build_id, a.name, a.lifecycle_state::text AS lifecycle_state,
  a.started_at, a.ready_at, a.updated_at;

-- name: CountUnfinishedProvisionerJobs
-- Queue depth for /metrics: unfinished jobs only, so the partial index keeps it cheap.
SELECT provisioner::text AS provisioner, job_status::text AS status, count(*)::int AS jobs
FROM provisioner_jobs
WHERE completed_at IS NULL
GROUP BY provisioner, job_status;
