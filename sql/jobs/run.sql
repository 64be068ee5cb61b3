-- name: UpsertProvisionerDaemon
-- Registers a daemon by name (a restarted daemon keeps its row) and refreshes last_seen_at.
INSERT INTO provisioner_daemons (name, organization_id, provisioners, tags, version, last_seen_at)
VALUES (
  :name::text, :organization_id::uuid, :provisioners::provisioner_type[], :tags::jsonb,
  :version::text, :now::timestamptz
)
ON CONFLICT (name) DO UPDATE
SET provisioners = EXCLUDED.provisioners,
    tags = EXCLUDED.tags,
    version = EXCLUDED.version,
    organization_id = EXCLUDED.organization_id,
    last_seen_at = EXCLUDED.last_seen_at
RETURNING id, name, provisioners::text[] AS provisioners, tags, last_seen_at;

-- name: HeartbeatProvisionerJob
-- A running job's heartbeat (updated_at). No row back = the job is no longer ours to run (reaped
-- or finished elsewhere); canceled_at set = someone asked to cancel it.
UPDATE provisioner_jobs
SET updated_at = :now::timestamptz
WHERE id = :job_id::uuid AND worker_id = :worker_id::uuid AND completed_at IS NULL
RETURNING canceled_at;

-- name: InsertProvisionerJobLogs
INSERT INTO provisioner_job_logs (job_id, created_at, level, stage, output)
SELECT :job_id::uuid, l.created_at, l.level, l.stage, l.output
FROM unnest(
  :created_at::timestamptz[], :level::log_level[], :stage::text[], :output::text[]
) AS l (created_at, level, stage, output);

-- name: FinishProvisionerJob
-- Ends a job this worker runs: error NULL = succeeded (or canceled when canceled_at is set).
-- No row back = the reaper or someone else finished it first; the caller then changes nothing.
UPDATE provisioner_jobs
SET completed_at = :now::timestamptz,
    updated_at = :now::timestamptz,
    error = :error::text,
    error_code = :error_code::text
WHERE id = :job_id::uuid AND worker_id = :worker_id::uuid AND completed_at IS NULL
RETURNING id, provisioner, type, created_at, started_at, canceled_at, completed_at, job_status;
