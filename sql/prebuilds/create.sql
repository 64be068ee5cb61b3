-- name: ResolveWorkspaceCreate
-- Everything a workspace create checks, in one read (one row): the owner by id or username
-- (case-insensitive; NULL columns when there is none) and whether they already have a live
-- workspace of the new name (names are case-insensitive); the live templates of the name (in one
-- organization when :organization is given; several when the name exists in several), each with
-- its active version (provisioner, tags and exec config, which the build's job carries) and that
-- version's presets with their parameters (a JSON object), for choosing the preset.
WITH candidates AS (
  SELECT
    t.id,
    t.name,
    o.id AS organization_id,
    o.name AS organization_name,
    t.active_version_id,
    tv.name AS active_version_name,
    tv.provisioner AS active_version_provisioner,
    tv.tags AS active_version_tags,
    tv.config -> 'exec' AS active_version_exec,
    t.deprecated,
    t.default_ttl,
    t.allow_user_autostart,
    t.allow_user_autostop,
    t.autostart_block_days_of_week,
    COALESCE((
      SELECT jsonb_agg(jsonb_build_object(
        'id', p.id,
        'name', p.name,
        'is_default', p.is_default,
        'desired_instances', p.desired_instances,
        'parameters', COALESCE((
          SELECT jsonb_object_agg(pp.name, pp.value)
          FROM template_version_preset_parameters pp
          WHERE pp.template_version_preset_id = p.id
        ), '{}'::jsonb)
      ) ORDER BY p.name)
      FROM template_version_presets p
      WHERE p.template_version_id = t.active_version_id
    ), '[]'::jsonb) AS presets
  FROM templates t
  JOIN organizations o ON o.id = t.organization_id
  LEFT JOIN template_versions tv ON tv.id = t.active_version_id
  WHERE t.name = :template::text
    AND NOT t.deleted
    AND (:organization::text IS NULL OR o.name = :organization::text)
)
SELECT
  u.id AS owner_id,
  u.username AS owner_username,
  u.email AS owner_email,
  u.status AS owner_status,
  u.roles AS owner_roles,
  u.is_system AS owner_is_system,
  u.created_at AS owner_created_at,
  u.updated_at AS owner_updated_at,
  EXISTS (
    SELECT 1
    FROM workspaces w
    WHERE w.owner_id = u.id AND lower(w.name) = lower(:name::text) AND NOT w.deleted
  ) AS name_taken,
  COALESCE(
    (SELECT jsonb_agg(to_jsonb(c) ORDER BY c.organization_name) FROM candidates c),
    '[]'::jsonb
  ) AS templates
FROM (VALUES (1)) AS one (x)
LEFT JOIN users u ON u.id::text = :owner::text OR lower(u.username) = lower(:owner::text);

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
