-- name: GetPrebuildMetricsCounters
-- Lifetime counters per (template, preset, organization) name, as Coder exports them: created =
-- prebuild creation builds (build 1 by the system user), failed = those whose job failed,
-- claimed = those whose workspace is now owned by someone else. Deleted workspaces still count
-- (a claimed-then-deleted workspace was claimed). Presets of every version of a template share
-- their name, so the series survive a template push. Templates that are deleted are left out.
-- Scans the creation builds' partial index: it runs for /metrics, not in the reconcile pass.
SELECT
  t.name AS template_name,
  p.name AS preset_name,
  o.name AS organization_name,
  count(*)::int AS created,
  count(*) FILTER (WHERE j.job_status = 'failed')::int AS failed,
  count(*) FILTER (
    WHERE w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  )::int AS claimed
FROM workspace_builds b
JOIN provisioner_jobs j ON j.id = b.job_id
JOIN workspaces w ON w.id = b.workspace_id
JOIN template_version_presets p ON p.id = b.template_version_preset_id
JOIN templates t ON t.id = w.template_id
JOIN organizations o ON o.id = t.organization_id
WHERE b.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND b.build_number = 1
  AND NOT t.deleted
GROUP BY t.name, p.name, o.name
ORDER BY t.name, p.name, o.name;
