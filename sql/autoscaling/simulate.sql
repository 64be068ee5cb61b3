-- name: FindSimulatedPreset
-- `prebuilds simulate --template T --preset P`: the live template(s) named :template (in
-- :organization when given), the active version, and its preset :preset if there is one, with
-- the policy and schedules the controller would use; plus the version's preset names for the
-- error message. One row per matching template; no row = no such template.
SELECT
  t.id AS template_id,
  t.name AS template_name,
  o.name AS organization_name,
  tv.name AS version_name,
  p.id AS preset_id,
  p.desired_instances,
  COALESCE(p.scheduling_timezone, '') AS scheduling_timezone,
  p.autoscaling,
  COALESCE((
    SELECT jsonb_agg(jsonb_build_object('cron', s.cron_expression, 'instances', s.desired_instances)
                     ORDER BY s.position)
    FROM template_version_preset_prebuild_schedules s
    WHERE s.preset_id = p.id
  ), '[]'::jsonb) AS schedules,
  COALESCE((
    SELECT array_agg(other.name ORDER BY other.name)
    FROM template_version_presets other
    WHERE other.template_version_id = tv.id
  ), '{}'::text[]) AS preset_names
FROM templates t
JOIN organizations o ON o.id = t.organization_id
LEFT JOIN template_versions tv ON tv.id = t.active_version_id
LEFT JOIN template_version_presets p ON p.template_version_id = tv.id AND p.name = :preset::text
WHERE t.name = :template::text
  AND NOT t.deleted
  AND (:organization::text IS NULL OR o.name = :organization::text)
ORDER BY o.name;

-- name: GetClaimAttemptsForSimulation
-- One preset's recorded claim attempts in [:from, :to), oldest first, as epoch milliseconds and
-- whether each was a hit: the simulator's demand (index range scan, prebuild_claim_attempts_preset_at).
SELECT (EXTRACT(EPOCH FROM at) * 1000)::float8 AS at_ms, outcome = 'hit' AS hit
FROM prebuild_claim_attempts
WHERE template_id = :template_id::uuid
  AND preset_name = :preset_name::text
  AND at >= :from::timestamptz
  AND at < :to::timestamptz
ORDER BY at, id;
