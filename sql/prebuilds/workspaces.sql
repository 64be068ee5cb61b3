-- name: GetPrebuildWorkspaces
-- Every prebuild (system-owned, not deleted) the reconciler acts on, by the state of its latest
-- build:
-- * running: the latest build is a succeeded start; `ready` when that build has agents and all
--   of them report ready (no agent = never ready);
-- * stopped_or_failed: the latest build is a succeeded stop, or its job failed or was canceled
--   (any transition, so a failed delete is retried), and it finished before :completed_before
--   (now - grace period). Coder keeps these forever (issue #18658); we delete them.
-- Prebuilds still building, and stopped or failed ones within the grace period, are not returned;
-- of the latter only the oldest completion is (grace_oldest_completed_at), for the next pass.
--
-- One query for both because both walk the same rows: the partial index of prebuild workspaces
-- (workspaces_prebuilds), then per workspace its latest build with its job (one LATERAL probe),
-- its agents only when running, and its current preset only when the latest build does not name
-- one. The cost grows with live prebuilds only, never with users' workspaces or build history.
--
-- The answer is ONE row holding a JSON array with one array per prebuild, positions:
--   [0] id, [1] name, [2] owner_id, [3] template_id, [4] template_version_id,
--   [5] current_preset_id (null when no build named a preset), [6] 'running' | 'stopped_or_failed',
--   [7] transition, [8] job_status, [9] ready, [10] completed_at and [11] created_at as epoch ms;
--   [12] consecutive failed deletes (0 unless the latest build is a failed delete), [13] whether
--   the reconciler gave up deleting it and notified (prebuild_delete_abandonments);
--   [7], [8] and [10] are null for running prebuilds (a succeeded start, nothing to report).
-- Failed deletes are returned whatever the grace period: their retry waits for a backoff instead.
-- At 100k workspaces (4,550 prebuilds) this costs Node.js one JSON.parse instead of thousands of
-- row objects checked field by field: about 20 ms less per pass (bench/).
WITH prebuild AS (
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
    lb.transition = 'start' AND lb.job_status = 'succeeded' AS running,
    lb.transition,
    lb.job_status,
    lb.completed_at,
    lb.id AS build_id,
    w.created_at,
    -- Consecutive failed deletes (the latest build is one): they are retried with backoff, not
    -- after the grace period, and not at all past the retry limit.
    CASE WHEN lb.transition = 'delete' AND lb.job_status = 'failed' THEN (
      SELECT count(*)::int
      FROM workspace_builds fb
      JOIN provisioner_jobs fj ON fj.id = fb.job_id
      WHERE fb.workspace_id = w.id
        AND fb.transition = 'delete'
        AND fj.job_status = 'failed'
        AND fb.build_number > COALESCE((
          SELECT max(ob.build_number)
          FROM workspace_builds ob
          JOIN provisioner_jobs oj ON oj.id = ob.job_id
          WHERE ob.workspace_id = w.id AND NOT (ob.transition = 'delete' AND oj.job_status = 'failed')
        ), 0)
    ) ELSE 0 END AS failed_deletes
  FROM workspaces w
  CROSS JOIN LATERAL (
    SELECT
      b.id,
      b.template_version_id,
      b.template_version_preset_id,
      b.transition,
      j.job_status,
      j.completed_at
    FROM workspace_builds b
    JOIN provisioner_jobs j ON j.id = b.job_id
    WHERE b.workspace_id = w.id
    ORDER BY b.build_number DESC
    LIMIT 1
  ) lb
  WHERE w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND NOT w.deleted
    AND (
      (lb.transition = 'start' AND lb.job_status = 'succeeded')
      OR (lb.transition = 'stop' AND lb.job_status = 'succeeded')
      OR lb.job_status IN ('failed', 'canceled')
    )
)
SELECT COALESCE(json_agg(json_build_array(
  p.id,
  p.name,
  p.owner_id,
  p.template_id,
  p.template_version_id,
  p.current_preset_id,
  CASE WHEN p.running THEN 'running' ELSE 'stopped_or_failed' END,
  CASE WHEN p.running THEN NULL ELSE p.transition END,
  CASE WHEN p.running THEN NULL ELSE p.job_status END,
  p.running AND COALESCE((
    SELECT bool_and(a.lifecycle_state = 'ready')
    FROM workspace_agents a
    WHERE a.workspace_build_id = p.build_id AND NOT a.deleted
  ), false),
  CASE WHEN p.running THEN NULL ELSE floor(extract(epoch FROM p.completed_at) * 1000) END,
  floor(extract(epoch FROM p.created_at) * 1000),
  p.failed_deletes,
  p.failed_deletes > 0
    AND EXISTS (SELECT 1 FROM prebuild_delete_abandonments a WHERE a.workspace_id = p.id)
)) FILTER (
  WHERE p.running OR p.failed_deletes > 0 OR p.completed_at < :completed_before::timestamptz
), '[]'::json) AS prebuilds,
  -- The stopped or failed prebuild that leaves the grace period first (the reconciler wakes then).
  min(p.completed_at) FILTER (
    WHERE NOT p.running AND p.failed_deletes = 0
      AND p.completed_at >= :completed_before::timestamptz
  ) AS grace_oldest_completed_at
FROM prebuild p;
