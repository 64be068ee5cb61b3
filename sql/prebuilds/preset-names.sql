-- name: GetActivePresetNames
-- The (template, preset, organization) names of every preset of the active version of every
-- template that is not deleted, with or without prebuilds: the label sets /metrics creates
-- coderd_workspace_creation_total at 0 for, so a preset's first regular workspace is an increase.
-- (GetPrebuildPresets returns only presets with a desired instance count.) One row per preset of
-- an active version: proportional to live presets, run at scrape time.
SELECT
  t.name AS template_name,
  p.name AS preset_name,
  o.name AS organization_name
FROM templates t
JOIN template_version_presets p ON p.template_version_id = t.active_version_id
JOIN organizations o ON o.id = t.organization_id
WHERE NOT t.deleted
ORDER BY t.name, p.name, o.name;
