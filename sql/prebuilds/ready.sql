-- name: PrebuildBecameReady
-- After agents of a build became ready at :now: the prebuild's preset and the seconds from its
-- creation job's start to now, when this made it eligible for claims: the build is the
-- prebuild's creation build (build 1, a start by the prebuilds system user), still its latest,
-- its job succeeded, and every agent of it is ready, the last one at :now. A repeated "ready"
-- report keeps the earlier ready_at, so each prebuild is reported once. No row otherwise.
SELECT
  t.name AS template_name,
  p.name AS preset_name,
  o.name AS organization_name,
  EXTRACT(EPOCH FROM (:now::timestamptz - j.started_at))::float8 AS seconds
FROM workspace_builds b
JOIN workspaces w ON w.id = b.workspace_id
JOIN provisioner_jobs j ON j.id = b.job_id
JOIN template_version_presets p ON p.id = b.template_version_preset_id
JOIN templates t ON t.id = w.template_id
JOIN organizations o ON o.id = t.organization_id
WHERE b.id = :build_id::uuid
  AND b.build_number = 1
  AND b.transition = 'start'
  AND b.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND NOT w.deleted
  AND j.job_status = 'succeeded'
  AND j.started_at IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM workspace_builds later
    WHERE later.workspace_id = b.workspace_id AND later.build_number > 1
  )
  AND (
    SELECT count(*) > 0
      AND bool_and(a.lifecycle_state = 'ready')
      AND max(a.ready_at) = :now::timestamptz
    FROM workspace_agents a
    WHERE a.workspace_build_id = b.id AND NOT a.deleted
  );
