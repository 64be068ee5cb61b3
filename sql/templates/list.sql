-- name: TemplateList
-- Live templates with their active version and its presets (parameters and schedules nested
-- as JSON), in one round trip whatever the number of templates and presets.
SELECT t.id,
       o.name AS organization,
       t.name,
       t.display_name,
       t.deprecated,
       t.provisioner::text AS provisioner,
       t.default_ttl,
       t.activity_bump,
       t.allow_user_autostart,
       t.allow_user_autostop,
       t.autostop_requirement_days_of_week,
       t.autostop_requirement_weeks,
       t.autostart_block_days_of_week,
       t.require_active_version,
       t.failure_ttl,
       t.time_til_dormant,
       t.time_til_dormant_autodelete,
       t.time_til_autostop_notify,
       t.created_at,
       t.updated_at,
       v.id AS version_id,
       v.name AS version_name,
       v.content_hash,
       v.tags AS version_tags,
       v.created_at AS version_created_at,
       v.pushed_by AS version_pushed_by,
       COALESCE((
         SELECT jsonb_agg(jsonb_build_object(
                  'id', p.id,
                  'name', p.name,
                  'default', p.is_default,
                  'desired_instances', p.desired_instances,
                  'invalidate_after_secs', p.invalidate_after_secs,
                  'scheduling_timezone', p.scheduling_timezone,
                  'prebuild_status', p.prebuild_status,
                  'parameters', COALESCE((
                    SELECT jsonb_object_agg(pp.name, pp.value)
                    FROM template_version_preset_parameters pp
                    WHERE pp.template_version_preset_id = p.id), '{}'::jsonb),
                  'schedules', COALESCE((
                    SELECT jsonb_agg(jsonb_build_object('cron', s.cron_expression,
                                                        'instances', s.desired_instances)
                                     ORDER BY s.position)
                    FROM template_version_preset_prebuild_schedules s
                    WHERE s.preset_id = p.id), '[]'::jsonb))
                ORDER BY p.name)
         FROM template_version_presets p
         WHERE p.template_version_id = v.id), '[]'::jsonb) AS presets
FROM templates t
JOIN organizations o ON o.id = t.organization_id
LEFT JOIN template_versions v ON v.id = t.active_version_id
WHERE NOT t.deleted
ORDER BY o.name, t.name;
