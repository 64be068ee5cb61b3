import type pg from 'pg';

import type { SeedShape } from './shape.js';

/**
 * Users, templates (each with versions v1, v2 and the active v3), 4 presets per version with
 * prebuilds, schedules on a quarter of the active presets, plus one template whose single preset
 * feeds the claim benchmark. Leaves session temp tables for the workspace seeding:
 * b_users(n, id), b_preset(id, version_id, template_id, vn, an) with `an` numbering the presets of
 * each version from 0, and b_claim(id, version_id, template_id).
 */
export async function seedCatalog(client: pg.Client, shape: SeedShape): Promise<void> {
  const templates = shape.presets / 4;
  const run = (text: string, values: unknown[] = []) => client.query(text, values);

  await run(
    `CREATE TEMP TABLE b_users AS
     SELECT g - 1 AS n, gen_random_uuid() AS id FROM generate_series(1, $1::int) g`,
    [shape.users],
  );
  await run(`INSERT INTO users (id, username, email)
             SELECT id, 'user' || n, 'user' || n || '@example.com' FROM b_users`);

  await run(
    `CREATE TEMP TABLE b_tpl AS
     SELECT g - 1 AS tn, gen_random_uuid() AS id FROM generate_series(1, $1::int) g`,
    [templates],
  );
  await run(`INSERT INTO templates (id, organization_id, name)
             SELECT id, (SELECT id FROM organizations WHERE name = 'default'), 'tpl-' || tn
             FROM b_tpl`);
  await run(`CREATE TEMP TABLE b_ver AS
             SELECT t.tn, v AS vn, gen_random_uuid() AS id, t.id AS template_id
             FROM b_tpl t CROSS JOIN generate_series(1, 3) v`);
  await run(`INSERT INTO template_versions (id, template_id, organization_id, name, created_at)
             SELECT v.id, v.template_id, t.organization_id, 'v' || v.vn,
                    now() - (4 - v.vn) * interval '10 days'
             FROM b_ver v JOIN templates t ON t.id = v.template_id`);
  await run(`UPDATE templates t SET active_version_id = v.id
             FROM b_ver v WHERE v.template_id = t.id AND v.vn = 3`);

  await run(`CREATE TEMP TABLE b_preset AS
             SELECT gen_random_uuid() AS id, v.id AS version_id, v.template_id, v.vn, p AS pn,
                    (row_number() OVER (PARTITION BY v.vn ORDER BY v.tn, p) - 1)::int AS an
             FROM b_ver v CROSS JOIN generate_series(1, 4) p`);
  await run(`CREATE INDEX ON b_preset (vn, an)`);
  await run(
    `INSERT INTO template_version_presets (id, template_version_id, name, desired_instances,
       invalidate_after_secs, scheduling_timezone, last_invalidated_at, created_at)
     SELECT id, version_id, 'preset-' || pn, $1::int,
            CASE WHEN an % 10 = 0 THEN 86400 ELSE 0 END,
            CASE WHEN an % 4 = 0 THEN 'Europe/Berlin' ELSE '' END,
            CASE WHEN an % 50 = 0 AND vn = 3 THEN now() - interval '3 hours' END,
            now() - (4 - vn) * interval '10 days'
     FROM b_preset`,
    [shape.desired],
  );
  await run(
    `INSERT INTO template_version_preset_prebuild_schedules
       (preset_id, position, cron_expression, desired_instances)
     SELECT p.id, s - 1, CASE s WHEN 1 THEN '* 8-18 * * 1-5' ELSE '* 8-14 * * 6' END,
            CASE s WHEN 1 THEN $1::int + 2 ELSE 1 END
     FROM b_preset p CROSS JOIN generate_series(1, 2) s
     WHERE p.an % 4 = 0`,
    [shape.desired],
  );

  // The claim benchmark's own template: one active version, one preset.
  await run(`CREATE TEMP TABLE b_claim AS
             SELECT gen_random_uuid() AS id, gen_random_uuid() AS version_id,
                    gen_random_uuid() AS template_id`);
  await run(`INSERT INTO templates (id, organization_id, name)
             SELECT template_id, (SELECT id FROM organizations WHERE name = 'default'), 'claim-bench'
             FROM b_claim`);
  await run(`INSERT INTO template_versions (id, template_id, organization_id, name)
             SELECT c.version_id, c.template_id, t.organization_id, 'v1'
             FROM b_claim c JOIN templates t ON t.id = c.template_id`);
  await run(`UPDATE templates t SET active_version_id = c.version_id
             FROM b_claim c WHERE c.template_id = t.id`);
  await run(
    `INSERT INTO template_version_presets (id, template_version_id, name, desired_instances)
     SELECT id, version_id, 'claimable', $1::int FROM b_claim`,
    [shape.claimPool],
  );
}
