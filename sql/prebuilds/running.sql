-- name: GetRunningPrebuilds
-- Running prebuilds: system-owned, not deleted, latest build a succeeded start.
-- Starts from the partial index of prebuild workspaces (workspaces_prebuilds), so the cost grows
-- with live prebuilds only; each row then costs a few index probes (latest build, its job, its
-- agents, and the current preset only when the latest build does not name one).
-- ready: the latest build has agents and all of them report `ready` (no agent = never ready).
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
  COALESCE((
    SELECT bool_and(a.lifecycle_state = 'ready')
    FROM workspace_agents a
    WHERE a.workspace_build_id = lb.id AND NOT a.deleted
  ), false) AS ready,
  w.created_at
FROM workspaces w
CROSS JOIN LATERAL (
  SELECT b.id, b.template_version_id, b.template_version_preset_id, b.transition, b.job_id
  FROM workspace_builds b
  WHERE b.workspace_id = w.id
  ORDER BY b.build_number DESC
  LIMIT 1
) lb
JOIN provisioner_jobs j ON j.id = lb.job_id
WHERE w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND NOT w.deleted
  AND lb.transition = 'start'
  AND j.job_status = 'succeeded';
