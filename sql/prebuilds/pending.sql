-- name: CountPendingInactivePrebuildJobs
-- Per preset, prebuild creation jobs (build 1, start, by the system user) that are still pending
-- and unassigned, for presets the reconciler no longer creates for: the version is not the
-- template's active one, or the template is deleted or deprecated. These are obsolete and only
-- clog the queue, so the reconciler cancels them. Starts from the pending-jobs partial index.
-- The cancel itself must re-apply these same criteria in its own statement (no TOCTOU).
SELECT b.template_version_preset_id AS preset_id, count(*)::int AS count
FROM provisioner_jobs j
JOIN workspace_builds b ON b.job_id = j.id
JOIN workspaces w ON w.id = b.workspace_id
JOIN template_versions tv ON tv.id = b.template_version_id
JOIN templates t ON t.id = tv.template_id
WHERE j.started_at IS NULL
  AND j.completed_at IS NULL
  AND j.canceled_at IS NULL
  AND j.worker_id IS NULL
  AND j.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND b.build_number = 1
  AND b.transition = 'start'
  AND b.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND b.template_version_preset_id IS NOT NULL
  AND w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND NOT w.deleted
  AND (t.active_version_id IS DISTINCT FROM tv.id OR t.deleted OR t.deprecated <> '')
GROUP BY b.template_version_preset_id;
