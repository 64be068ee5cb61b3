-- Workspace schedule updates. None of them touches a prebuilt workspace (system user) or a deleted
-- one: no row comes back, and callers answer 404/409.

-- name: SetWorkspaceAutostart
-- A new schedule (NULL removes it) with its next start: for an edit, the next fire after now, so a
-- new schedule never starts the workspace at once.
UPDATE workspaces
SET autostart_schedule = :schedule::text,
  next_start_at = :next_start_at::timestamptz,
  updated_at = :now::timestamptz
WHERE id = :workspace_id::uuid
  AND NOT deleted
  AND owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
RETURNING id, autostart_schedule, next_start_at;

-- name: SetWorkspacesNextStartAt
-- The scheduler's refresh of missing or stale cached next starts, in one statement.
UPDATE workspaces w
SET next_start_at = v.next_start_at
FROM unnest(:workspace_ids::uuid[], :next_start_ats::timestamptz[]) AS v (id, next_start_at)
WHERE w.id = v.id
  AND NOT w.deleted
  AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND w.next_start_at IS DISTINCT FROM v.next_start_at
RETURNING w.id, w.next_start_at;

-- name: SetWorkspaceTtl
-- NULL = no autostop. A changed TTL applies from the next start (see ResetRunningDeadline).
UPDATE workspaces
SET ttl = :ttl_ms::bigint, updated_at = :now::timestamptz
WHERE id = :workspace_id::uuid
  AND NOT deleted
  AND owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
RETURNING id, ttl;

-- name: ResetRunningDeadline
-- TTL removed: the running build no longer stops at its TTL deadline, only at max_deadline (the
-- template's requirement) if it has one.
UPDATE workspace_builds b
SET deadline = b.max_deadline, updated_at = :now::timestamptz
FROM workspaces w
WHERE w.id = :workspace_id::uuid
  AND b.workspace_id = w.id
  AND NOT w.deleted
  AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND b.transition = 'start'
  AND b.deadline IS DISTINCT FROM b.max_deadline
  AND b.build_number = (
    SELECT max(l.build_number) FROM workspace_builds l WHERE l.workspace_id = w.id
  )
RETURNING b.id, b.deadline, b.max_deadline;

-- name: ExtendWorkspaceDeadline
-- A validated new deadline (src/domain/lifecycle validateExtend) for the latest build, re-checked
-- here so a concurrent change cannot slip past max_deadline.
UPDATE workspace_builds b
SET deadline = :deadline::timestamptz, updated_at = :now::timestamptz
FROM workspaces w
WHERE b.id = :build_id::uuid
  AND w.id = b.workspace_id
  AND w.id = :workspace_id::uuid
  AND NOT w.deleted
  AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND b.transition = 'start'
  AND b.deadline IS NOT NULL
  AND (b.max_deadline IS NULL OR :deadline::timestamptz <= b.max_deadline)
  AND b.build_number = (
    SELECT max(l.build_number) FROM workspace_builds l WHERE l.workspace_id = w.id
  )
RETURNING b.id, b.deadline, b.max_deadline;

-- name: ApplyActivityBump
-- The bumped deadline computed by activityBumpDeadline, applied only if the deadline is still the
-- one it was computed from (a concurrent bump or extend wins), never lower, never past max_deadline.
UPDATE workspace_builds b
SET deadline = :deadline::timestamptz, updated_at = :now::timestamptz
FROM workspaces w
WHERE b.id = :build_id::uuid
  AND w.id = b.workspace_id
  AND NOT w.deleted
  AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND b.transition = 'start'
  AND b.deadline = :expected_deadline::timestamptz
  AND :deadline::timestamptz > b.deadline
  AND (b.max_deadline IS NULL OR :deadline::timestamptz <= b.max_deadline)
  AND b.build_number = (
    SELECT max(l.build_number) FROM workspace_builds l WHERE l.workspace_id = w.id
  )
RETURNING b.id, b.deadline;

-- name: TouchWorkspaceLastUsed
-- Activity: last_used_at only ever moves forward.
UPDATE workspaces
SET last_used_at = GREATEST(last_used_at, :now::timestamptz)
WHERE id = :workspace_id::uuid
  AND NOT deleted
  AND owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
RETURNING id, last_used_at;

-- name: MarkWorkspaceDormant
-- Dormant now (idle past time_til_dormant, or by request); deleted after the template's
-- time_til_dormant_autodelete (NULL when that is 0). Autostart stops: next_start_at is cleared.
UPDATE workspaces w
SET dormant_at = :now::timestamptz,
  deleting_at = CASE
    WHEN t.time_til_dormant_autodelete > 0
      THEN :now::timestamptz + interval '1 millisecond' * t.time_til_dormant_autodelete
  END,
  next_start_at = NULL,
  updated_at = :now::timestamptz
FROM templates t
WHERE w.id = :workspace_id::uuid
  AND t.id = w.template_id
  AND NOT w.deleted
  AND w.dormant_at IS NULL
  AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
RETURNING w.id, w.dormant_at, w.deleting_at;

-- name: ClearWorkspaceDormant
-- Back in use: not dormant, not scheduled for deletion, used now (or it would be dormant again on
-- the next tick), with its next autostart.
UPDATE workspaces
SET dormant_at = NULL,
  deleting_at = NULL,
  last_used_at = GREATEST(last_used_at, :now::timestamptz),
  next_start_at = :next_start_at::timestamptz,
  updated_at = :now::timestamptz
WHERE id = :workspace_id::uuid
  AND NOT deleted
  AND dormant_at IS NOT NULL
  AND owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
RETURNING id, dormant_at, deleting_at, last_used_at;
