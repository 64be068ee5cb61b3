import pg from 'pg';

import { seedCatalog } from './catalog.js';
import { seedClaimHistory } from './claim-history.js';
import type { SeedShape } from './shape.js';
import { seedWorkspaces } from './workspaces.js';

export interface SeedReport {
  readonly ms: number;
  readonly rows: Readonly<Record<string, number>>;
}

/** Fills an empty, migrated database with `shape`, then VACUUM ANALYZE (plans and visibility map). */
export async function seed(url: string, shape: SeedShape): Promise<SeedReport> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET jit = off');
    await client.query('BEGIN');
    await seedCatalog(client, shape);
    // The build-state triggers (migrations/0012) would refresh a workspace row on every build,
    // job and agent inserted: millions of updates of the same rows in one transaction at 1M.
    // Off during the bulk load (this also skips foreign-key checks: the seed writes consistent
    // rows), then the same refresh function once per workspace, from its final history.
    // Needs a superuser; another role seeds with the triggers on (slower, same rows).
    const superuser = await client.query<{ yes: boolean }>(
      `SELECT rolsuper AS yes FROM pg_roles WHERE rolname = current_user`,
    );
    const bulk = superuser.rows[0]?.yes === true;
    if (bulk) await client.query(`SET LOCAL session_replication_role = replica`);
    await seedWorkspaces(client, shape);
    if (bulk) {
      await client.query(`SET LOCAL session_replication_role = origin`);
      await client.query(`SELECT refresh_workspace_build_cache(id) FROM workspaces`);
    }
    await seedClaimHistory(client, shape);
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE');
    const counts = await client.query<{ name: string; n: number }>(
      `SELECT 'workspaces' AS name, count(*)::int AS n FROM workspaces
       UNION ALL SELECT 'workspace_builds', count(*)::int FROM workspace_builds
       UNION ALL SELECT 'provisioner_jobs', count(*)::int FROM provisioner_jobs
       UNION ALL SELECT 'workspace_agents', count(*)::int FROM workspace_agents
       UNION ALL SELECT 'presets', count(*)::int FROM template_version_presets
       UNION ALL SELECT 'autoscaled_presets', count(*)::int FROM template_version_presets
         WHERE autoscaling IS NOT NULL
       UNION ALL SELECT 'claim_attempts', count(*)::int FROM prebuild_claim_attempts
       UNION ALL SELECT 'live_prebuilds', count(*)::int FROM workspaces
         WHERE owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0' AND NOT deleted`,
    );
    return {
      ms: performance.now() - started,
      rows: Object.fromEntries(counts.rows.map((r) => [r.name, r.n])),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
