-- name: GetPrebuildsForCleanup
-- Prebuilds that will never become running on their own: the latest build is a succeeded stop,
-- or its job failed or was canceled (any transition: a failed delete is retried this way), and it
-- finished before :completed_before (now - grace period). Coder leaves these forever
-- (issue #18658); we delete them once the grace period has passed, which also retries failed
-- deletes. Same access path as GetRunningPrebuilds.
SELECT
  w.id,
  w.name,
  w.owner_id,
  w.template_id,
  lb.template_version_id,
  COALESCE(lb.template_version_preset_id, (
    SELECT pb.template_version_preset_id
    FROM workspace_builds pb
    WHERE pb.workspace_id = w.id AND pb.template_version_preset_id IS NOT NULL
    ORDER BY pb.build_number DESC
    LIMIT 1
  )) AS current_preset_id,
  lb.transition::text AS transition,
  j.job_status::text AS job_status,
  j.completed_at,
  w.created_at
FROM workspaces w
CROSS JOIN LATERAL (
  SELECT b.template_version_id, b.template_version_preset_id, b.transition, b.job_id
  FROM workspace_builds b
  WHERE b.workspace_id = w.id
  ORDER BY b.build_number DESC
  LIMIT 1
) lb
JOIN provisioner_jobs j ON j.id = lb.job_id
WHERE w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND NOT w.deleted
  AND (
    (lb.transition = 'stop' AND j.job_status = 'succeeded')
    OR j.job_status IN ('failed', 'canceled')
  )
  AND j.completed_at < :completed_before::timestamptz;
