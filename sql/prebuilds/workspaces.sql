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
-- One index-only scan: the partial index of prebuild workspaces (workspaces_prebuilds) carries
-- the latest build's state, kept on the row by triggers (migrations/0012). No per-prebuild probe
-- of builds, jobs, agents or presets; the cost grows with live prebuilds only, never with users'
-- workspaces or build history.
--
-- The answer is ONE row: `prebuilds` is a JSON array of groups, one per (template, version,
-- current preset), each `[template_id, template_version_id, current_preset_id, [prebuild, ...]]`
-- (current_preset_id is null when no build named a preset); each prebuild is an array, positions:
--   [0] id, [1] name, [2] 'running' | 'stopped_or_failed', [3] transition, [4] job_status,
--   [5] ready, [6] completed_at and [7] created_at as epoch ms; [8] consecutive failed deletes
--   (0 unless the latest build is a failed delete), [9] whether the reconciler gave up deleting
--   it and notified (prebuild_delete_abandonments); [3], [4] and [6] are null for running
--   prebuilds (a succeeded start, nothing to report). The owner is the prebuilds system user.
-- Failed deletes are returned whatever the grace period: their retry waits for a backoff instead.
-- At 100k workspaces (4,550 prebuilds) this costs Node.js one JSON.parse instead of thousands of
-- row objects checked field by field; grouping sends each template, version and preset id once
-- per group instead of once per prebuild (1.15 MB -> about 0.5 MB per pass, bench/).
WITH prebuild AS (
  SELECT
    w.id,
    w.name,
    w.template_id,
    w.latest_build_version_id AS template_version_id,
    w.current_preset_id,
    w.latest_build_transition = 'start' AND w.latest_build_status = 'succeeded' AS running,
    w.latest_build_transition AS transition,
    w.latest_build_status AS job_status,
    w.latest_build_completed_at AS completed_at,
    w.latest_agents_ready,
    w.created_at,
    w.failed_deletes
  FROM workspaces w
  WHERE w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND NOT w.deleted
    AND (
      (w.latest_build_transition = 'start' AND w.latest_build_status = 'succeeded')
      OR (w.latest_build_transition = 'stop' AND w.latest_build_status = 'succeeded')
      OR w.latest_build_status IN ('failed', 'canceled')
    )
),
grouped AS (
  SELECT json_build_array(
    p.template_id,
    p.template_version_id,
    p.current_preset_id,
    json_agg(json_build_array(
      p.id,
      p.name,
      CASE WHEN p.running THEN 'running' ELSE 'stopped_or_failed' END,
      CASE WHEN p.running THEN NULL ELSE p.transition END,
      CASE WHEN p.running THEN NULL ELSE p.job_status END,
      p.running AND p.latest_agents_ready,
      CASE WHEN p.running THEN NULL ELSE floor(extract(epoch FROM p.completed_at) * 1000) END,
      floor(extract(epoch FROM p.created_at) * 1000),
      p.failed_deletes,
      p.failed_deletes > 0
        AND EXISTS (SELECT 1 FROM prebuild_delete_abandonments a WHERE a.workspace_id = p.id)
    ))
  ) AS prebuild_group
  FROM prebuild p
  WHERE p.running OR p.failed_deletes > 0 OR p.completed_at < :completed_before::timestamptz
  GROUP BY p.template_id, p.template_version_id, p.current_preset_id
)
SELECT
  (SELECT COALESCE(json_agg(prebuild_group), '[]'::json) FROM grouped) AS prebuilds,
  -- The stopped or failed prebuild that leaves the grace period first (the reconciler wakes then).
  (
    SELECT min(p.completed_at)
    FROM prebuild p
    WHERE NOT p.running AND p.failed_deletes = 0
      AND p.completed_at >= :completed_before::timestamptz
  ) AS grace_oldest_completed_at;
