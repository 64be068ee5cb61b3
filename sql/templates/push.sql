-- name: TemplatePushFindOrganization
-- The organization a pushed template belongs to, by name.
SELECT id
FROM organizations
WHERE name = :name::text;

-- name: TemplatePushInsertOrganization
-- A push may name a new organization; a concurrent push creating it too is not an error.
INSERT INTO organizations (name)
VALUES (:name::text)
ON CONFLICT (name) DO NOTHING
RETURNING id;

-- name: TemplatePushFindTemplate
-- The live template of that name with its active version's content hash and config, and the
-- next free version number (versions are named v1, v2, ...).
SELECT t.id,
       t.active_version_id,
       v.name AS active_version_name,
       v.content_hash AS active_content_hash,
       v.config AS active_config,
       v.created_at AS active_created_at,
       (SELECT COALESCE(MAX(substring(tv.name FROM '^v([0-9]{1,9})$')::int), 0) + 1
        FROM template_versions tv
        WHERE tv.template_id = t.id) AS next_version_number
FROM templates t
LEFT JOIN template_versions v ON v.id = t.active_version_id
WHERE t.organization_id = :organization_id::uuid
  AND t.name = :name::text
  AND NOT t.deleted;

-- name: TemplatePushInsertTemplate
INSERT INTO templates (organization_id, name, provisioner)
VALUES (:organization_id::uuid, :name::text, :provisioner::provisioner_type)
RETURNING id;

-- name: TemplatePushInsertVersion
INSERT INTO template_versions (template_id, organization_id, name, config, content_hash,
                               provisioner, tags)
VALUES (:template_id::uuid, :organization_id::uuid, :name::text, :config::jsonb,
        :content_hash::text, :provisioner::provisioner_type, :tags::jsonb)
RETURNING id, name, content_hash, created_at;

-- name: TemplatePushInsertPresets
-- Every preset of the new version in one statement, from a JSON array of rows.
INSERT INTO template_version_presets (template_version_id, name, is_default, desired_instances,
                                      invalidate_after_secs, scheduling_timezone, autoscaling)
SELECT :version_id::uuid, p.name, p.is_default, p.desired_instances, p.invalidate_after_secs,
       p.scheduling_timezone, p.autoscaling
FROM jsonb_to_recordset(:presets::jsonb) AS p(name text, is_default boolean,
                                               desired_instances integer,
                                               invalidate_after_secs integer,
                                               scheduling_timezone text,
                                               autoscaling jsonb);

-- name: TemplatePushInsertParameters
-- Preset parameters of the new version, matched to their preset by name.
INSERT INTO template_version_preset_parameters (template_version_preset_id, name, value)
SELECT p.id, x.name, x.value
FROM jsonb_to_recordset(:parameters::jsonb) AS x(preset text, name text, value text)
JOIN template_version_presets p
  ON p.template_version_id = :version_id::uuid AND p.name = x.preset;

-- name: TemplatePushInsertSchedules
-- Prebuild schedules of the new version in config order (position), matched by preset name.
INSERT INTO template_version_preset_prebuild_schedules (preset_id, position, cron_expression,
                                                        desired_instances)
SELECT p.id, x.position, x.cron_expression, x.desired_instances
FROM jsonb_to_recordset(:schedules::jsonb) AS x(preset text, position integer,
                                                cron_expression text, desired_instances integer)
JOIN template_version_presets p
  ON p.template_version_id = :version_id::uuid AND p.name = x.preset;

-- name: TemplatePushActivate
-- Makes the version active and applies the template-level settings of the pushed config.
UPDATE templates
SET active_version_id = :version_id::uuid,
    display_name = :display_name::text,
    deprecated = :deprecated::text,
    provisioner = :provisioner::provisioner_type,
    default_ttl = :default_ttl::bigint,
    activity_bump = :activity_bump::bigint,
    allow_user_autostart = :allow_user_autostart::boolean,
    allow_user_autostop = :allow_user_autostop::boolean,
    autostop_requirement_days_of_week = :autostop_requirement_days_of_week::smallint,
    autostop_requirement_weeks = :autostop_requirement_weeks::bigint,
    autostart_block_days_of_week = :autostart_block_days_of_week::smallint,
    require_active_version = :require_active_version::boolean,
    failure_ttl = :failure_ttl::bigint,
    time_til_dormant = :time_til_dormant::bigint,
    time_til_dormant_autodelete = :time_til_dormant_autodelete::bigint,
    time_til_autostop_notify = :time_til_autostop_notify::bigint,
    updated_at = now()
WHERE id = :template_id::uuid
RETURNING id, name, active_version_id, created_at, updated_at;

-- name: TemplatePushNotify
-- Wakes the reconciler; PostgreSQL delivers it when the push transaction commits.
SELECT pg_notify(:channel::text, :payload::text);
