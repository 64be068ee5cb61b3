-- name: EnqueueGetTarget
-- What enqueueWorkspaceBuild needs about a workspace: the workspace, its owner, its template and
-- its latest build (NULL columns when it has none). Read in the caller's transaction, so a claim
-- that just changed the owner is seen. Not locked: a concurrent enqueue for the same workspace
-- computes the same build number and loses on workspace_builds_workspace_id_build_number_key.
SELECT
  w.id AS workspace_id,
  w.name AS workspace_name,
  w.deleted,
  w.organization_id,
  w.owner_id,
  u.username AS owner_name,
  w.template_id,
  t.name AS template_name,
  t.provisioner::text AS template_provisioner,
  t.active_version_id,
  lb.id AS latest_build_id,
  lb.build_number AS latest_build_number,
  lb.template_version_id AS latest_version_id,
  lb.template_version_preset_id AS latest_preset_id,
  lj.id AS latest_job_id,
  lj.job_status AS latest_job_status
FROM workspaces w
JOIN users u ON u.id = w.owner_id
JOIN templates t ON t.id = w.template_id
LEFT JOIN LATERAL (
  SELECT b.id, b.build_number, b.template_version_id, b.template_version_preset_id, b.job_id
  FROM workspace_builds b
  WHERE b.workspace_id = w.id
  ORDER BY b.build_number DESC
  LIMIT 1
) lb ON true
LEFT JOIN provisioner_jobs lj ON lj.id = lb.job_id
WHERE w.id = :workspace_id::uuid;

-- name: EnqueueGetVersion
-- The template version a build runs: its provisioner, tags and exec config (config->'exec').
SELECT
  v.id,
  v.name,
  v.template_id,
  v.provisioner,
  v.tags,
  v.config -> 'exec' AS exec
FROM template_versions v
WHERE v.id = :version_id::uuid;

-- name: EnqueueGetPreset
SELECT p.id, p.name, p.template_version_id
FROM template_version_presets p
WHERE p.id = :preset_id::uuid;

-- name: EnqueueGetBaseParameters
-- The parameters a build starts from, lowest layer first: the previous build's, then the preset's.
SELECT name, value
FROM (
  SELECT bp.name, bp.value, 1 AS layer
  FROM workspace_build_parameters bp
  WHERE bp.workspace_build_id = :previous_build_id::uuid
  UNION ALL
  SELECT pp.name, pp.value, 2 AS layer
  FROM template_version_preset_parameters pp
  WHERE pp.template_version_preset_id = :preset_id::uuid
) layers
ORDER BY layer, name;

-- name: EnqueueInsertJob
INSERT INTO provisioner_jobs (
  id, created_at, updated_at, organization_id, initiator_id, provisioner, type, input, tags
)
VALUES (
  :id::uuid, :now::timestamptz, :now::timestamptz, :organization_id::uuid, :initiator_id::uuid,
  :provisioner::provisioner_type, 'workspace_build', :input::jsonb, :tags::jsonb
)
RETURNING
  id, created_at, updated_at, started_at, canceled_at, completed_at, error, error_code,
  organization_id, initiator_id, provisioner, type, input, tags, worker_id, job_status;

-- name: EnqueueInsertBuild
INSERT INTO workspace_builds (
  id, created_at, updated_at, workspace_id, template_version_id, build_number, transition,
  initiator_id, job_id, reason, template_version_preset_id
)
VALUES (
  :id::uuid, :now::timestamptz, :now::timestamptz, :workspace_id::uuid, :version_id::uuid,
  :build_number::int, :transition::workspace_transition, :initiator_id::uuid, :job_id::uuid,
  :reason::build_reason, :preset_id::uuid
)
RETURNING
  id, created_at, updated_at, workspace_id, template_version_id, build_number, transition,
  initiator_id, job_id, reason, template_version_preset_id, deadline, max_deadline;

-- name: EnqueueInsertParameters
INSERT INTO workspace_build_parameters (workspace_build_id, name, value)
SELECT :build_id::uuid, p.name, p.value
FROM unnest(:names::text[], :values::text[]) AS p (name, value);
