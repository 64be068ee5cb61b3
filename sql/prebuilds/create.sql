-- name: GetTemplateForWorkspaceCreate
-- A live template by name (in one organization when :organization is given) with what creating a
-- workspace from it needs: its active version and its scheduling options. Several rows when the
-- name exists in several organizations.
SELECT
  t.id,
  t.name,
  o.id AS organization_id,
  o.name AS organization_name,
  t.active_version_id,
  tv.name AS active_version_name,
  t.deprecated,
  t.default_ttl,
  t.allow_user_autostart,
  t.allow_user_autostop,
  t.autostart_block_days_of_week
FROM templates t
JOIN organizations o ON o.id = t.organization_id
LEFT JOIN template_versions tv ON tv.id = t.active_version_id
WHERE t.name = :name::text
  AND NOT t.deleted
  AND (:organization::text IS NULL OR o.name = :organization::text)
ORDER BY o.name;

-- name: GetVersionPresetsForWorkspaceCreate
-- The presets of a template version with their parameters (a JSON object), for choosing the
-- preset of a new workspace.
SELECT
  p.id,
  p.name,
  p.is_default,
  p.desired_instances,
  COALESCE(
    jsonb_object_agg(pp.name, pp.value) FILTER (WHERE pp.name IS NOT NULL),
    '{}'::jsonb
  ) AS parameters
FROM template_version_presets p
LEFT JOIN template_version_preset_parameters pp ON pp.template_version_preset_id = p.id
WHERE p.template_version_id = :version_id::uuid
GROUP BY p.id
ORDER BY p.name;

-- name: WorkspaceNameTaken
-- Whether the owner already has a live workspace of this name (names are case-insensitive).
SELECT EXISTS (
  SELECT 1
  FROM workspaces
  WHERE owner_id = :owner_id::uuid AND lower(name) = lower(:name::text) AND NOT deleted
) AS taken;

-- name: InsertUserWorkspace
-- A user's new workspace when no prebuild was claimed; its start build is enqueued next, in the
-- same transaction.
INSERT INTO workspaces (
  owner_id, organization_id, template_id, name, autostart_schedule, next_start_at, ttl,
  created_at, updated_at, last_used_at, automatic_updates
)
VALUES (
  :owner_id::uuid, :organization_id::uuid, :template_id::uuid, :name::text,
  :autostart_schedule::text, :next_start_at::timestamptz, :ttl_ms::bigint,
  :now::timestamptz, :now::timestamptz, :now::timestamptz, 'never'
)
RETURNING
  id,
  name,
  owner_id,
  organization_id,
  template_id,
  created_at,
  autostart_schedule,
  next_start_at,
  ttl,
  last_used_at;
