-- Workspaces as the API shows them: the workspace, its owner, template and organization names,
-- its latest build with the job's status, and the template options the schedule API checks.

-- name: WorkspaceViews
-- One page of non-deleted workspaces, optionally of one owner (id or username, case-insensitive)
-- and one template (id or name). Prebuilt workspaces are listed too (owner "prebuilds"). Pages are
-- keyset pages in (owner username, name, id) order: a page starts after the last row of the one
-- before (all three after_* null for the first page), so a page costs the same wherever it is.
SELECT
  w.id, w.name, w.owner_id, u.username AS owner, w.template_id, t.name AS template,
  w.organization_id, o.name AS organization, w.autostart_schedule, w.next_start_at, w.ttl AS ttl_ms,
  w.last_used_at, w.dormant_at, w.deleting_at, w.deleted, w.automatic_updates::text,
  w.created_at,
  t.allow_user_autostart, t.allow_user_autostop, t.autostart_block_days_of_week,
  t.require_active_version, t.active_version_id,
  b.id AS build_id, b.build_number, b.transition::text AS build_transition,
  b.reason::text AS build_reason, j.job_status::text AS build_status, b.job_id AS build_job_id,
  b.deadline AS build_deadline, b.max_deadline AS build_max_deadline,
  b.template_version_id AS build_template_version_id,
  b.template_version_preset_id AS build_preset_id, b.created_at AS build_created_at
FROM workspaces w
JOIN users u ON u.id = w.owner_id
JOIN templates t ON t.id = w.template_id
JOIN organizations o ON o.id = w.organization_id
LEFT JOIN LATERAL (
  SELECT l.*
  FROM workspace_builds l
  WHERE l.workspace_id = w.id
  ORDER BY l.build_number DESC
  LIMIT 1
) b ON true
LEFT JOIN provisioner_jobs j ON j.id = b.job_id
WHERE NOT w.deleted
  AND (
    :owner::text IS NULL OR lower(u.username) = lower(:owner::text) OR u.id::text = :owner::text
  )
  AND (:template::text IS NULL OR t.name = :template::text OR t.id::text = :template::text)
  AND (
    :after_owner::text IS NULL
    OR (u.username, w.name, w.id) > (:after_owner::text, :after_name::text, :after_id::uuid)
  )
ORDER BY u.username, w.name, w.id
LIMIT :limit::int;

-- name: WorkspaceViewById
-- One workspace by id, deleted or not.
SELECT
  w.id, w.name, w.owner_id, u.username AS owner, w.template_id, t.name AS template,
  w.organization_id, o.name AS organization, w.autostart_schedule, w.next_start_at, w.ttl AS ttl_ms,
  w.last_used_at, w.dormant_at, w.deleting_at, w.deleted, w.automatic_updates::text,
  w.created_at,
  t.allow_user_autostart, t.allow_user_autostop, t.autostart_block_days_of_week,
  t.require_active_version, t.active_version_id,
  b.id AS build_id, b.build_number, b.transition::text AS build_transition,
  b.reason::text AS build_reason, j.job_status::text AS build_status, b.job_id AS build_job_id,
  b.deadline AS build_deadline, b.max_deadline AS build_max_deadline,
  b.template_version_id AS build_template_version_id,
  b.template_version_preset_id AS build_preset_id, b.created_at AS build_created_at
FROM workspaces w
JOIN users u ON u.id = w.owner_id
JOIN templates t ON t.id = w.template_id
JOIN organizations o ON o.id = w.organization_id
LEFT JOIN LATERAL (
  SELECT l.*
  FROM workspace_builds l
  WHERE l.workspace_id = w.id
  ORDER BY l.build_number DESC
  LIMIT 1
) b ON true
LEFT JOIN provisioner_jobs j ON j.id = b.job_id
WHERE w.id = :id::uuid;

-- name: WorkspaceIdByOwnerAndName
-- A non-deleted workspace by "owner/name" (both case-insensitive).
SELECT w.id
FROM workspaces w
JOIN users u ON u.id = w.owner_id
WHERE lower(u.username) = lower(:owner::text) AND lower(w.name) = lower(:name::text)
  AND NOT w.deleted;
