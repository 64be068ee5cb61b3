-- name: GetPrebuildPresets
-- The presets the reconciler looks at: every preset with prebuilds on the active version of a
-- template that is not deleted (unless :include_active is false), plus the presets named in
-- :extra_preset_ids (those of prebuilds, in-progress builds and pending jobs found by the other
-- snapshot queries, whatever their version or template state). Presets of old versions with nothing left are not returned, so the result
-- stays proportional to live presets however many versions were pushed.
-- A preset's schedules come along as a JSON array in config order (the first match wins).
WITH wanted AS (
  SELECT p.id
  FROM templates t
  JOIN template_version_presets p ON p.template_version_id = t.active_version_id
  WHERE :include_active::boolean AND NOT t.deleted AND p.desired_instances IS NOT NULL
  UNION
  SELECT unnest(:extra_preset_ids::uuid[])
)
SELECT
  p.id,
  p.name,
  t.id AS template_id,
  t.name AS template_name,
  o.id AS organization_id,
  o.name AS organization_name,
  tv.id AS template_version_id,
  tv.name AS template_version_name,
  t.active_version_id IS NOT DISTINCT FROM tv.id AS using_active_version,
  t.deleted AS template_deleted,
  t.deprecated <> '' AS template_deprecated,
  p.desired_instances,
  COALESCE(p.invalidate_after_secs, 0) AS ttl_secs,
  p.scheduling_timezone,
  p.prebuild_status::text AS prebuild_status,
  p.last_invalidated_at,
  p.failure_limit_reset_at,
  p.autoscaling,
  COALESCE(s.schedules, '[]'::jsonb) AS schedules
FROM wanted
JOIN template_version_presets p ON p.id = wanted.id
JOIN template_versions tv ON tv.id = p.template_version_id
JOIN templates t ON t.id = tv.template_id
JOIN organizations o ON o.id = t.organization_id
LEFT JOIN (
  SELECT
    s.preset_id,
    jsonb_agg(
      jsonb_build_object('cron', s.cron_expression, 'instances', s.desired_instances)
      ORDER BY s.position
    ) AS schedules
  FROM template_version_preset_prebuild_schedules s
  JOIN wanted ON wanted.id = s.preset_id
  GROUP BY s.preset_id
) s ON s.preset_id = p.id
ORDER BY t.name, tv.created_at, p.name, p.id;
