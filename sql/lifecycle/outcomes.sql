-- name: AutomaticBuildOutcomes
-- Finished jobs of automatic (lifecycle) builds that the owner must hear about, read in the
-- completing transaction: a failed build, or a successful auto-delete. Prebuilds are excluded
-- (the reconciler reports on them).
SELECT
  b.id AS build_id,
  b.build_number,
  b.transition::text AS transition,
  b.reason::text AS reason,
  j.job_status::text AS job_status,
  j.error,
  w.id AS workspace_id,
  w.name AS workspace_name,
  w.owner_id,
  w.template_id,
  w.organization_id
FROM workspace_builds b
JOIN provisioner_jobs j ON j.id = b.job_id
JOIN workspaces w ON w.id = b.workspace_id
WHERE b.job_id = ANY(:job_ids::uuid[])
  AND b.reason IN ('autostart', 'autostop', 'dormancy', 'failedstop', 'autodelete')
  AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND (
    j.job_status = 'failed'
    OR (j.job_status = 'succeeded' AND b.transition = 'delete' AND b.reason = 'autodelete')
  )
ORDER BY b.created_at;
