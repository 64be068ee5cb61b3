import pg from 'pg';
import { sql } from 'slonik';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { sqlQuery } from '../../src/db/sql-files.js';
import { useTestDatabase } from '../helpers/db.js';
import { createTemplate } from '../helpers/fixtures.js';

const db = useTestDatabase();
const WORKSPACES = 5_000;
const BUILDS_EACH = 4;
let client: pg.Client;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
  'Actual Rows'?: number;
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

beforeAll(async () => {
  // A fleet with history: every workspace has four builds (start/stop pairs, past deadlines), the
  // last one a start running until tomorrow, or a stop; most are nowhere near a transition.
  const templateId = await createTemplate(db.pool, {
    timeTilDormantMs: 30 * 86_400_000,
    timeTilDormantAutodeleteMs: 7 * 86_400_000,
    failureTtlMs: 3_600_000,
    timeTilAutostopNotifyMs: 1_800_000,
  });
  await db.pool.query(sql.unsafe`
    INSERT INTO template_versions (template_id, organization_id, name)
    SELECT id, organization_id, 'bulk' FROM templates WHERE id = ${templateId}`);
  await db.pool.query(sql.unsafe`
    INSERT INTO users (username, email)
    SELECT 'bulk-' || g, 'bulk-' || g || '@example.com' FROM generate_series(1, ${WORKSPACES}) g`);
  await db.pool.query(sql.unsafe`
    INSERT INTO workspaces (owner_id, organization_id, template_id, name, last_used_at,
      autostart_schedule, next_start_at)
    SELECT u.id, t.organization_id, t.id, 'bulk-' || u.username, '2025-06-04T08:00:00Z',
      CASE WHEN u.username < 'bulk-5' THEN '0 9 * * 1-5' END,
      -- Steady state: a cached next start for every schedule but a few just edited.
      CASE WHEN u.username < 'bulk-5' AND u.username NOT LIKE '%77' THEN
        '2025-06-05T09:00:00Z'::timestamptz END
    FROM users u, templates t
    WHERE u.username LIKE 'bulk-%' AND t.id = ${templateId}`);
  await db.pool.query(sql.unsafe`
    WITH plan AS (
      SELECT w.id AS workspace_id, w.owner_id, w.organization_id, v.id AS version_id, n,
        gen_random_uuid() AS job_id,
        '2025-06-04T09:00:00Z'::timestamptz - (${BUILDS_EACH} - n) * interval '1 day' AS at,
        random() < 0.5 AS running
      FROM workspaces w
      JOIN template_versions v ON v.template_id = w.template_id
      CROSS JOIN generate_series(1, ${BUILDS_EACH}) n
      WHERE w.name LIKE 'bulk-%'
    ), jobs AS (
      INSERT INTO provisioner_jobs (id, organization_id, initiator_id, provisioner, created_at,
        updated_at, started_at, completed_at)
      SELECT job_id, organization_id, owner_id, 'echo', at, at, at, at + interval '1 minute'
      FROM plan
      RETURNING id
    )
    INSERT INTO workspace_builds (workspace_id, template_version_id, build_number, transition,
      initiator_id, job_id, created_at, deadline)
    SELECT workspace_id, version_id, n,
      CASE WHEN n % 2 = 1 OR (n = ${BUILDS_EACH} AND running) THEN 'start' ELSE 'stop' END::workspace_transition,
      owner_id, job_id, at,
      CASE WHEN n % 2 = 1 THEN at + interval '8 hours'
           WHEN n = ${BUILDS_EACH} AND running THEN at + interval '1 day' END
    FROM plan`);
  // Lifecycle job history: one finished job per workspace.
  await db.pool.query(sql.unsafe`
    INSERT INTO workspace_lifecycle_job (workspace_id, operation, reason, deadline, started_at,
      completed_at, outcome)
    SELECT id, 'stop', 'autostop', '2025-06-03T17:00:00Z', '2025-06-03T17:00:00Z',
      '2025-06-03T17:00:01Z', 'build created'
    FROM workspaces WHERE name LIKE 'bulk-%'`);
  await db.pool.query(sql.unsafe`ANALYZE`);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('SET jit = off');
});

afterAll(async () => {
  await client.end();
});

it('finds candidates through the indexes, never scanning workspaces or build history', async () => {
  const query = sqlQuery('LifecycleCandidates');
  const now = new Date('2025-06-04T12:00:00Z');
  const values = query.params.map((name) => (name === 'now' ? now : 15 * 60_000));
  const result = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${query.text}`,
    values,
  );
  const all = nodes(result.rows[0]!['QUERY PLAN'][0].Plan);
  const seqScans = all.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name']);
  // templates is tiny (one row per template); nothing that grows with workspaces, builds or jobs.
  expect(seqScans.filter((name) => name !== 'templates')).toEqual([]);
  const indexes = new Set(all.map((n) => n['Index Name']).filter(Boolean));
  for (const index of [
    'workspaces_autostop_at',
    'users_suspended',
    'workspaces_next_start_at',
    'workspaces_autostart_unscheduled',
    'workspaces_failed_build_at',
    'workspaces_dormancy_by_template',
    'workspaces_deleting_at',
  ]) {
    expect(indexes, index).toContain(index);
  }
  // The workspace_builds history (20,000 rows) is only ever read per candidate workspace.
  expect(all[0]?.['Actual Rows']).toBeGreaterThan(0);
  const buildScans = all.filter((n) => n['Relation Name'] === 'workspace_builds');
  expect(buildScans.every((n) => n['Node Type'].includes('Index'))).toBe(true);
});
