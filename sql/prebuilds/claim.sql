-- name: ClaimPrebuiltWorkspace
-- Hands one ready prebuild of the preset to a user in one statement, or returns no row.
-- The choice of the prebuild is ClaimCandidate, below.
UPDATE workspaces w
SET
  owner_id = :new_owner_id::uuid,
  name = :new_name::text,
  autostart_schedule = :autostart_schedule::text,
  next_start_at = :next_start_at::timestamptz,
  ttl = :ttl_ms::bigint,
  last_used_at = :now::timestamptz,
  dormant_at = NULL,
  deleting_at = NULL,
  updated_at = :now::timestamptz
WHERE w.id = (
-- include: ClaimCandidate
)
  AND w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND NOT w.deleted
  -- Built on the preset's version (ClaimCandidate checks that version is active). Should the one
  -- candidate it locked be on another, nothing is claimed: a miss, never a wrong workspace.
  AND w.latest_build_version_id = (
    SELECT p.template_version_id FROM template_version_presets p WHERE p.id = :preset_id::uuid
  )
RETURNING
  w.id,
  w.name,
  w.owner_id,
  w.organization_id,
  w.template_id,
  w.created_at,
  w.autostart_schedule,
  w.next_start_at,
  w.ttl,
  w.last_used_at,
  w.dormant_at,
  w.deleting_at,
  w.deleted,
  w.automatic_updates;

-- name: ClaimCandidate
-- The prebuild a claim takes, locked: the id of one ready, unexpired prebuild of :preset_id on
-- its template's active version, or no row. Included by ClaimPrebuiltWorkspace and
-- ClaimPrebuiltWorkspaceWithBuild (claim-build.sql) as `WHERE w.id = (...)`.
--
-- Candidates: system-owned, not deleted, no reconciler delete under way (deleting_at IS NULL),
-- latest build a succeeded start (of the preset's version: checked by the claim's UPDATE), the
-- preset's version the ACTIVE version of a template that is not deleted; current preset
-- :preset_id; all agents ready; not expired (TTL, last_invalidated_at: the rule the reconciler
-- deletes by, so an invalidated prebuild is never handed out). Oldest first, so prebuilds are
-- used before they expire.
--
-- Shape: the latest build's state is on the workspace row (migrations/0012, kept by triggers), so
-- every condition is a column of the row and the scan is the partial index of claimable
-- prebuilds (workspaces_claimable: current_preset_id, created_at), starting at the expiry bound
-- and stopping at the first row that is not locked. What is known of the preset (whether its
-- version is active, its expiry bound) is computed once.
--
-- Locking: FOR UPDATE OF pw locks the base `workspaces` row; SKIP LOCKED lets concurrent
-- claimers take different prebuilds instead of queueing on one. If a claim, a reconciler delete
-- (LockPrebuildForDelete) or a new build committed a change to the row after this statement's
-- snapshot, PostgreSQL re-checks the row's own conditions on the new version (owner_id,
-- deleting_at and, since 0012, the latest build's state) and skips it; the outer owner check is
-- the last guard.
SELECT pw.id
FROM workspaces pw
WHERE pw.current_preset_id = :preset_id::uuid
  AND pw.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND NOT pw.deleted
  AND pw.deleting_at IS NULL
  AND pw.latest_build_transition = 'start'
  AND pw.latest_build_status = 'succeeded'
  AND pw.latest_agents_ready
  -- No candidate at all unless the preset is on the active version of a live template. This is
  -- a condition on the preset alone (a one-time filter), so it leaves the planner's estimate of
  -- the preset's candidates alone. Written per row (`pw.latest_build_version_id = <that
  -- version>`), it made the generic plan expect one candidate in 1/n of versions, and read and
  -- sort the whole pool on every claim (1 ms at 2,000 prebuilds, 0.07 ms this way; BENCHMARKS.md).
  -- The row's own version is checked by the claim's UPDATE, on the one row it locked.
  AND EXISTS (
    SELECT 1
    FROM template_version_presets p
    JOIN template_versions tv ON tv.id = p.template_version_id
    JOIN templates t ON t.id = tv.template_id
    WHERE p.id = :preset_id::uuid AND t.active_version_id = tv.id AND NOT t.deleted
  )
  -- Not expired: created at or after the invalidation and within the TTL.
  AND pw.created_at >= (
    SELECT GREATEST(
      COALESCE(p.last_invalidated_at, '-infinity'::timestamptz),
      CASE
        WHEN COALESCE(p.invalidate_after_secs, 0) > 0
          THEN :now::timestamptz - make_interval(secs => p.invalidate_after_secs)
        ELSE '-infinity'::timestamptz
      END)
    FROM template_version_presets p
    WHERE p.id = :preset_id::uuid
  )
-- current_preset_id is one value here; naming it lets the index hand rows over in order.
ORDER BY pw.current_preset_id, pw.created_at
LIMIT 1
FOR UPDATE OF pw SKIP LOCKED;

-- name: LockPrebuildForDelete
-- The reconciler's ownership re-check before deleting a prebuild, in the transaction that inserts
-- the delete build: locks the row only if it is still system-owned and not locked by a claim in
-- progress (SKIP LOCKED: the next pass decides again), and stamps deleting_at. The stamp is what
-- makes the race with ClaimPrebuiltWorkspace safe both ways: a claim whose snapshot predates this
-- commit still locks the row afterwards, re-checks `deleting_at IS NULL` on the new version and
-- skips it. Returns the id, or no row when the delete must not proceed.
UPDATE workspaces w
SET deleting_at = :now::timestamptz, updated_at = :now::timestamptz
WHERE w.id = (
  SELECT c.id
  FROM workspaces c
  WHERE c.id = :workspace_id::uuid
    AND c.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND NOT c.deleted
  FOR UPDATE SKIP LOCKED
)
  AND w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
RETURNING w.id;
