-- name: GetPrebuildBackoffInputs
-- Input of the exponential creation backoff, per preset that can create (active version, template
-- neither deleted nor deprecated): among its prebuild creation builds (build 1 by the system
-- user) created since :since (now - lookback) and after the preset's failure_limit_reset_at, the
-- failures that completed after the most recent success, and when the last of them completed.
-- Counting only failures since the last success means a preset that recovers starts again from
-- the base delay, and a flaky one does not escalate. Deleted workspaces still count: their
-- creation builds are history. One LATERAL probe of workspace_builds_prebuild_creations per
-- preset. Only presets with at least one such failure are returned.
WITH creating AS (
  SELECT p.id, p.failure_limit_reset_at
  FROM templates t
  JOIN template_version_presets p ON p.template_version_id = t.active_version_id
  WHERE NOT t.deleted AND t.deprecated = '' AND p.desired_instances IS NOT NULL
)
SELECT c.id AS preset_id, h.failed_count, h.last_failure_at
FROM creating c
CROSS JOIN LATERAL (
  SELECT
    count(*) FILTER (
      WHERE r.job_status = 'failed'
        AND r.completed_at > COALESCE(r.last_success_at, '-infinity'::timestamptz)
    )::int AS failed_count,
    max(r.completed_at) FILTER (WHERE r.job_status = 'failed') AS last_failure_at
  FROM (
    SELECT
      j.job_status,
      j.completed_at,
      max(j.completed_at) FILTER (WHERE j.job_status = 'succeeded') OVER () AS last_success_at
    FROM workspace_builds b
    JOIN provisioner_jobs j ON j.id = b.job_id
    WHERE b.template_version_preset_id = c.id
      AND b.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
      AND b.build_number = 1
      AND b.created_at >= :since::timestamptz
      AND b.created_at > COALESCE(c.failure_limit_reset_at, '-infinity'::timestamptz)
      AND j.completed_at IS NOT NULL
  ) r
) h
WHERE h.failed_count > 0;
