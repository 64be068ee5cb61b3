-- Workspaces as the API shows them: the workspace, its owner, template and organization names,
-- its latest build with the job's status, and the template options the schedule API checks.

-- name: WorkspaceViews
-- One page of non-deleted workspaces, optionally of one owner (id or username, case-insensitive)
-- and one template (id or name). Prebuilt workspaces are listed too (owner "prebuilds").
--
-- Pages are keyset pages in (lower(username), lower(name)) order, a unique key of non-deleted
-- workspaces (users_username_key, workspaces_owner_id_name_key): a page starts after the last row
-- of the one before (:after_owner and :after_name both null for the first page). `page` walks
-- users_username_key from the cursor's owner and each owner's workspaces by name, and stops after
-- :limit rows (an incremental sort orders names within an owner); only then are the page's rows
-- joined to their latest build. So a page costs about the same wherever it starts: 4 to 20 ms
-- at 100k workspaces (the most for the 4,550 prebuilds of one owner, sorted as one group),
-- against 160 ms for a full sort. The redundant
-- `lower(u.username) >= ...` is what lets the index scan start at the cursor.
WITH page AS (
  SELECT w.id, lower(u.username) AS owner_key, lower(w.name) AS name_key
  FROM workspaces w
  JOIN users u ON u.id = w.owner_id
  JOIN templates t ON t.id = w.template_id
  WHERE NOT w.deleted
    AND (
      :owner::text IS NULL OR lower(u.username) = lower(:owner::text) OR u.id::text = :owner::text
    )
    AND (:template::text IS NULL OR t.name = :template::text OR t.id::text = :template::text)
    AND (
      :after_owner::text IS NULL
      OR lower(u.username) > lower(:after_owner::text)
      OR (
        lower(u.username) = lower(:after_owner::text)
        AND lower(w.name) > lower(:after_name::text)
      )
    )
    AND (:after_owner::text IS NULL OR lower(u.username) >= lower(:after_owner::text))
  ORDER BY lower(u.username), lower(w.name)
  LIMIT :limit::int
)
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
FROM page p
JOIN workspaces w ON w.id = p.id
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
ORDER BY p.owner_key, p.name_key;

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
