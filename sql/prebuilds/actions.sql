-- name: InsertPrebuildWorkspace
-- The workspace of a create action: owned by the prebuilds system user, in the preset's template
-- and organization, named :name (prebuild-<random>), no schedule, no TTL (the reconciler, not
-- the lifecycle, manages it until it is claimed). Re-checks in the same statement that the preset
-- still creates (its version is the template's active one, the template is neither deleted nor
-- deprecated, the preset asks for prebuilds): a push may have landed since the snapshot, and
-- then nothing is inserted (no row).
INSERT INTO workspaces (
  owner_id, organization_id, template_id, name, created_at, updated_at, last_used_at,
  automatic_updates
)
SELECT
  'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid,
  t.organization_id,
  t.id,
  :name::text,
  :now::timestamptz,
  :now::timestamptz,
  :now::timestamptz,
  'never'
FROM template_version_presets p
JOIN templates t ON t.active_version_id = p.template_version_id
WHERE p.id = :preset_id::uuid
  AND p.desired_instances IS NOT NULL
  AND NOT t.deleted
  AND t.deprecated = ''
RETURNING id, name, template_id;

-- name: CancelPendingPrebuildCreations
-- The cancel_pending action of a preset that no longer creates, in one statement: cancels its
-- prebuild creation jobs (build 1, start, by the system user) that are STILL pending and
-- unassigned and whose version is still not active (or whose template is deleted or deprecated),
-- re-applying the snapshot's criteria so a job a daemon took meanwhile is left alone (the UPDATE
-- re-checks a concurrently changed row), and deletes their workspaces as orphans: the job never
-- ran, so nothing was provisioned and there is nothing for a delete build to tear down. Both
-- happen together or not at all (Coder does the same: a canceled creation cannot be told apart
-- from a user's canceled build afterwards).
WITH canceled AS (
  UPDATE provisioner_jobs j
  SET canceled_at = :now::timestamptz,
      completed_at = :now::timestamptz,
      updated_at = :now::timestamptz
  FROM workspace_builds b
  JOIN workspaces w ON w.id = b.workspace_id
  JOIN template_versions tv ON tv.id = b.template_version_id
  JOIN templates t ON t.id = tv.template_id
  WHERE b.job_id = j.id
    AND b.template_version_preset_id = :preset_id::uuid
    AND b.build_number = 1
    AND b.transition = 'start'
    AND b.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND j.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND j.started_at IS NULL
    AND j.completed_at IS NULL
    AND j.canceled_at IS NULL
    AND j.worker_id IS NULL
    AND w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND NOT w.deleted
    AND (t.active_version_id IS DISTINCT FROM tv.id OR t.deleted OR t.deprecated <> '')
  RETURNING j.id AS job_id, b.workspace_id
),
orphaned AS (
  UPDATE workspaces w
  SET deleted = true, next_start_at = NULL, updated_at = :now::timestamptz
  FROM canceled c
  WHERE w.id = c.workspace_id
    AND w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND NOT w.deleted
  RETURNING w.id
)
SELECT
  (SELECT count(*) FROM canceled)::int AS canceled,
  (SELECT count(*) FROM orphaned)::int AS deleted;

-- name: SetPresetPrebuildStatus
-- A prebuild status transition the reconciler decided (healthy <-> hard_limited), applied only if
-- the preset still has the status and the failure-limit reset the decision saw: a reset that
-- landed since the snapshot wins. Returns the names a notification needs, or no row.
UPDATE template_version_presets p
SET prebuild_status = :status::prebuild_status, prebuild_status_updated_at = :now::timestamptz
FROM template_versions tv
JOIN templates t ON t.id = tv.template_id
JOIN organizations o ON o.id = t.organization_id
WHERE p.id = :preset_id::uuid
  AND tv.id = p.template_version_id
  AND p.prebuild_status::text = :expected::text
  AND p.failure_limit_reset_at IS NOT DISTINCT FROM :seen_reset_at::timestamptz
RETURNING
  p.id,
  p.name,
  t.id AS template_id,
  t.name AS template_name,
  tv.name AS template_version_name,
  o.id AS organization_id,
  o.name AS organization_name;

-- name: ListTemplateAdmins
-- Recipients of template-level notifications: active users with the template-admin role.
SELECT id
FROM users
WHERE 'template-admin' = ANY (roles)
  AND status = 'active'
  AND NOT is_system
ORDER BY lower(username);
