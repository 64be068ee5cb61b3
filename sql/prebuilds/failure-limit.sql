-- name: GetPrebuildFailureStreaks
-- Input of the hard limit, per preset that can create (active version, template neither deleted
-- nor deprecated): of its newest :hard_limit prebuild creation builds (build 1 by the system user)
-- created after failure_limit_reset_at, how many there are and how many failed. The preset is
-- hard-limited when there are :hard_limit of them and all failed (a build still running breaks
-- the streak). Creation builds of deleted workspaces count: deleting a failed prebuild must not
-- lift the limit (Coder's view-based query forgets them, so cleanup would restart a failing
-- preset). :hard_limit = 0 disables the limit and returns nothing.
--
-- Only presets whose newest creation failed are returned: one probe of
-- workspace_builds_prebuild_creations and one job lookup settle every healthy preset; only the
-- failing ones read their newest :hard_limit builds.
WITH creating AS (
  SELECT p.id, p.failure_limit_reset_at
  FROM templates t
  JOIN template_version_presets p ON p.template_version_id = t.active_version_id
  WHERE NOT t.deleted AND t.deprecated = '' AND p.desired_instances IS NOT NULL
)
SELECT c.id AS preset_id, h.considered, h.failed, h.last_failure_at
FROM creating c
CROSS JOIN LATERAL (
  SELECT b.job_id
  FROM workspace_builds b
  WHERE b.template_version_preset_id = c.id
    AND b.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND b.build_number = 1
    AND b.created_at > COALESCE(c.failure_limit_reset_at, '-infinity'::timestamptz)
  ORDER BY b.created_at DESC
  LIMIT 1
) newest
JOIN provisioner_jobs newest_job ON newest_job.id = newest.job_id
CROSS JOIN LATERAL (
  SELECT
    count(*)::int AS considered,
    count(*) FILTER (WHERE j.job_status = 'failed')::int AS failed,
    max(j.completed_at) FILTER (WHERE j.job_status = 'failed') AS last_failure_at
  FROM (
    SELECT b.job_id
    FROM workspace_builds b
    WHERE b.template_version_preset_id = c.id
      AND b.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
      AND b.build_number = 1
      AND b.created_at > COALESCE(c.failure_limit_reset_at, '-infinity'::timestamptz)
    ORDER BY b.created_at DESC
    LIMIT :hard_limit::int
  ) newest_n
  JOIN provisioner_jobs j ON j.id = newest_n.job_id
) h
WHERE :hard_limit::int > 0 AND newest_job.job_status = 'failed';
