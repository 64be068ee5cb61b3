-- name: InvalidatePrebuildPreset
-- Marks every prebuild of the preset created before :now as expired (the reconciler replaces them,
-- claims no longer hand them out). Returns the preset, or no row when there is none.
UPDATE template_version_presets p
SET last_invalidated_at = :now::timestamptz
FROM template_versions tv
JOIN templates t ON t.id = tv.template_id
JOIN organizations o ON o.id = t.organization_id
WHERE p.id = :preset_id::uuid AND tv.id = p.template_version_id
RETURNING
  p.id,
  p.name,
  t.name AS template_name,
  tv.name AS template_version_name,
  o.name AS organization_name,
  p.prebuild_status::text AS prebuild_status,
  p.last_invalidated_at,
  p.failure_limit_reset_at;

-- name: ResetPrebuildPreset
-- Clears a hard limit (or a validation failure): the preset is healthy again and the creation
-- failures before :now no longer count for the hard limit nor for the backoff.
UPDATE template_version_presets p
SET prebuild_status = 'healthy',
    prebuild_status_updated_at = :now::timestamptz,
    failure_limit_reset_at = :now::timestamptz
FROM template_versions tv
JOIN templates t ON t.id = tv.template_id
JOIN organizations o ON o.id = t.organization_id
WHERE p.id = :preset_id::uuid AND tv.id = p.template_version_id
RETURNING
  p.id,
  p.name,
  t.name AS template_name,
  tv.name AS template_version_name,
  o.name AS organization_name,
  p.prebuild_status::text AS prebuild_status,
  p.last_invalidated_at,
  p.failure_limit_reset_at;

-- name: FindActivePresetsByName
-- Presets of the active versions of live templates with this name, optionally of one template
-- (and organization): how the CLI turns "template/preset" into an id.
SELECT
  p.id,
  p.name,
  t.name AS template_name,
  o.name AS organization_name
FROM templates t
JOIN organizations o ON o.id = t.organization_id
JOIN template_version_presets p ON p.template_version_id = t.active_version_id
WHERE NOT t.deleted
  AND p.name = :preset::text
  AND (:template::text IS NULL OR t.name = :template::text)
  AND (:organization::text IS NULL OR o.name = :organization::text)
ORDER BY o.name, t.name;
