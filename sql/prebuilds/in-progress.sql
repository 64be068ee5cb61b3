-- name: CountInProgressPrebuilds
-- Prebuilds whose latest build's job is pending or running, counted by preset and transition
-- (starting, stopping, deleting). Starts from the unfinished jobs (partial index
-- provisioner_jobs_unfinished), a small set, instead of evaluating the latest build of every
-- workspace. A build only counts when no newer build of its workspace exists.
SELECT preset_id, transition, count(*)::int AS count
FROM (
  SELECT
    COALESCE(b.template_version_preset_id, (
      SELECT pb.template_version_preset_id
      FROM workspace_builds pb
      WHERE pb.workspace_id = b.workspace_id AND pb.template_version_preset_id IS NOT NULL
      ORDER BY pb.build_number DESC
      LIMIT 1
    )) AS preset_id,
    b.transition::text AS transition
  FROM provisioner_jobs j
  JOIN workspace_builds b ON b.job_id = j.id
  JOIN workspaces w ON w.id = b.workspace_id
  WHERE j.completed_at IS NULL
    AND j.job_status IN ('pending', 'running')
    AND w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND NOT w.deleted
    AND NOT EXISTS (
      SELECT 1 FROM workspace_builds nb
      WHERE nb.workspace_id = b.workspace_id AND nb.build_number > b.build_number
    )
) in_progress
WHERE preset_id IS NOT NULL
GROUP BY preset_id, transition;
