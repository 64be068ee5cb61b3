-- name: ReapStaleProvisionerJobs
-- Fails running jobs whose heartbeat (updated_at) is older than the cutoff: their daemon died or
-- lost the database. SKIP LOCKED and the re-check make it safe from every replica at once.
WITH stale AS (
  SELECT j.id, j.updated_at AS last_heartbeat
  FROM provisioner_jobs j
  WHERE j.completed_at IS NULL AND j.started_at IS NOT NULL AND j.updated_at < :cutoff::timestamptz
  ORDER BY j.updated_at
  FOR UPDATE SKIP LOCKED
  LIMIT :limit::int
),
reaped AS (
  UPDATE provisioner_jobs j
  SET completed_at = :now::timestamptz,
      updated_at = :now::timestamptz,
      error = format(
        'provisioner daemon stopped heartbeating: no heartbeat since %s (timeout %s); the job was failed by the reaper',
        to_char(stale.last_heartbeat AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        :timeout_text::text
      ),
      error_code = 'heartbeat_timeout'
  FROM stale
  WHERE j.id = stale.id AND j.completed_at IS NULL
  RETURNING j.id, j.provisioner, j.type, j.started_at, j.completed_at
)
SELECT
  r.id AS job_id,
  r.provisioner::text AS provisioner,
  r.type::text AS type,
  r.started_at,
  r.completed_at,
  b.workspace_id,
  b.template_version_preset_id AS preset_id
FROM reaped r
LEFT JOIN workspace_builds b ON b.job_id = r.id;

-- name: DeleteStaleProvisionerDaemons
DELETE FROM provisioner_daemons
WHERE last_seen_at < :cutoff::timestamptz;
