import type pg from 'pg';

const SYSTEM = `'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid`;

/** A set of fresh claimable pools: one template per preset (its only, active version). */
export interface ClaimPools {
  readonly label: string;
  readonly presetIds: readonly string[];
  readonly templateIds: readonly string[];
  readonly templateNames: readonly string[];
  readonly presetNames: readonly string[];
  /** Ready prebuilds per preset. */
  readonly perPreset: number;
}

/**
 * Creates `presets` templates, each with one active version and one preset holding `perPreset`
 * ready prebuilds (system-owned, build 1 a succeeded start of the preset, one ready agent), set-
 * based. Every measured variant gets pools of its own, all created before any is measured (one
 * VACUUM ANALYZE afterwards, see `settle`), so each starts from the same state: fresh rows, no
 * dead index entries of earlier claims.
 */
export async function createClaimPools(
  client: pg.Client,
  label: string,
  presets: number,
  perPreset: number,
): Promise<ClaimPools> {
  const { rows } = await client.query<{
    preset_id: string;
    template_id: string;
    template_name: string;
    preset_name: string;
  }>(
    `WITH org AS (SELECT id FROM organizations WHERE name = 'default'),
     plan AS (
       SELECT k, gen_random_uuid() AS template_id, gen_random_uuid() AS version_id,
              gen_random_uuid() AS preset_id
       FROM generate_series(0, $2::int - 1) k
     ),
     t AS (
       INSERT INTO templates (id, organization_id, name)
       SELECT p.template_id, org.id, $1 || '-' || p.k FROM plan p CROSS JOIN org
       RETURNING id, name
     ),
     v AS (
       INSERT INTO template_versions (id, template_id, organization_id, name)
       SELECT p.version_id, t.id, org.id, 'v1'
       FROM plan p JOIN t ON t.id = p.template_id CROSS JOIN org
       RETURNING id
     ),
     ps AS (
       INSERT INTO template_version_presets (id, template_version_id, name, desired_instances)
       SELECT p.preset_id, v.id, 'pool', $3::int FROM plan p JOIN v ON v.id = p.version_id
       RETURNING id
     )
     SELECT p.preset_id, p.template_id, $1 || '-' || p.k AS template_name, 'pool' AS preset_name
     FROM plan p JOIN ps ON ps.id = p.preset_id JOIN t ON t.id = p.template_id
     ORDER BY p.k`,
    [label, presets, perPreset],
  );
  await client.query(
    `UPDATE templates t SET active_version_id = v.id
     FROM template_versions v WHERE v.template_id = t.id AND t.id = ANY($1::uuid[])`,
    [rows.map((r) => r.template_id)],
  );
  await client.query(
    `CREATE TEMP TABLE IF NOT EXISTS b_pool (
       id uuid, build_id uuid, job_id uuid, template_id uuid, version_id uuid, preset_id uuid,
       created_at timestamptz)`,
  );
  await client.query(`TRUNCATE b_pool`);
  await client.query(
    `INSERT INTO b_pool
     SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), t.id, t.active_version_id,
            p.id, now() - interval '1 hour' + g * interval '10 milliseconds'
     FROM templates t
     JOIN template_version_presets p ON p.template_version_id = t.active_version_id
     CROSS JOIN generate_series(1, $2::int) g
     WHERE t.id = ANY($1::uuid[])`,
    [rows.map((r) => r.template_id), perPreset],
  );
  await client.query(
    `INSERT INTO provisioner_jobs (id, organization_id, initiator_id, provisioner, created_at,
       updated_at, started_at, completed_at)
     SELECT b.job_id, (SELECT id FROM organizations WHERE name = 'default'), ${SYSTEM}, 'echo',
            b.created_at, b.created_at, b.created_at, b.created_at + interval '1 minute'
     FROM b_pool b ORDER BY b.created_at`,
  );
  await client.query(
    `INSERT INTO workspaces (id, created_at, updated_at, owner_id, organization_id, template_id,
       name, last_used_at)
     SELECT b.id, b.created_at, b.created_at, ${SYSTEM},
            (SELECT id FROM organizations WHERE name = 'default'), b.template_id,
            'pool-' || b.id, b.created_at
     FROM b_pool b ORDER BY random()`,
  );
  await client.query(
    `INSERT INTO workspace_builds (id, created_at, updated_at, workspace_id, template_version_id,
       build_number, transition, initiator_id, job_id, reason, template_version_preset_id)
     SELECT b.build_id, b.created_at, b.created_at, b.id, b.version_id, 1, 'start', ${SYSTEM},
            b.job_id, 'prebuild', b.preset_id
     FROM b_pool b ORDER BY b.created_at`,
  );
  await client.query(
    `INSERT INTO workspace_agents (workspace_id, workspace_build_id, name, lifecycle_state)
     SELECT b.id, b.build_id, 'main', 'ready' FROM b_pool b ORDER BY b.created_at`,
  );
  return {
    label,
    presetIds: rows.map((r) => r.preset_id),
    templateIds: rows.map((r) => r.template_id),
    templateNames: rows.map((r) => r.template_name),
    presetNames: rows.map((r) => r.preset_name),
    perPreset,
  };
}

/** VACUUM ANALYZE of the tables the claims read (visibility map for index-only scans, stats). */
export async function settle(client: pg.Client): Promise<void> {
  await client.query(
    'VACUUM ANALYZE workspaces, workspace_builds, provisioner_jobs, workspace_agents, templates, template_versions, template_version_presets',
  );
}

/**
 * The same starting line for every measured variant, taken untimed just before it: a VACUUM of
 * the tables claims write (the previous variant's claimed rows leave dead tuples and index
 * entries, and autovacuum starting on them mid-run took a core of the two), then a CHECKPOINT
 * (each run then pays the full-page writes of the pages it touches first, instead of whichever
 * run a timed checkpoint happened to fall on). With pgbench on fresh pools this took the claim
 * statement's spread from 0.45x-1.4x of bare to 0.9x-1.2x (BENCHMARKS.md). CHECKPOINT needs a
 * superuser or pg_checkpoint: without it only the VACUUM runs.
 */
export async function quiesce(client: pg.Client): Promise<{ readonly checkpoint: boolean }> {
  await client.query('VACUUM workspaces, workspace_builds, provisioner_jobs, workspace_agents');
  try {
    await client.query('CHECKPOINT');
    return { checkpoint: true };
  } catch (error) {
    if ((error as { code?: string }).code === '42501') return { checkpoint: false };
    throw error;
  }
}

/** Who owns each pool workspace now (for the double-claim check). */
export async function poolOwners(
  client: pg.Client,
  pools: ClaimPools,
): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string; owner_id: string }>(
    `SELECT id, owner_id FROM workspaces WHERE template_id = ANY($1::uuid[])`,
    [pools.templateIds],
  );
  return new Map(rows.map((r) => [r.id, r.owner_id]));
}
