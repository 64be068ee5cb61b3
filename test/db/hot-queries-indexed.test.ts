import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { seed } from '../../bench/seed/index.js';
import { shapeFor } from '../../bench/seed/shape.js';
import { sqlQuery } from '../../src/db/sql-files.js';
import { useTestDatabase } from '../helpers/db.js';

/**
 * Regression check: every hot statement (reconcile pass, claim, job acquisition, lifecycle tick,
 * the HTTP create path) stays index-backed. On a database seeded like the bench (1k workspaces,
 * build history, VACUUM ANALYZE) each statement is EXPLAINed with enable_seqscan off, which makes
 * the planner take an index wherever one can serve the statement; a sequential scan of a table
 * that grows with workspaces then means no index can, and so does a full scan of an index
 * (no Index Cond) not listed for the statement. At 1k the planner rightly prefers sequential scans with enable_seqscan
 * on, so that setting cannot be used at this size; the bench's `queries` suite checks the plans
 * the planner picks by itself at 10k and 100k.
 */

/** Tables that grow with workspaces or with traffic. */
const BIG_TABLES = new Set([
  'workspaces',
  'workspace_builds',
  'provisioner_jobs',
  'workspace_agents',
  'workspace_lifecycle_job',
  'notification_messages',
]);

/**
 * The hot statements, by the name in sql/, each with the indexes that keep it proportional to
 * what it returns (candidates, live prebuilds, due jobs) rather than to the tables. The plan must
 * use at least these; a full scan of an index is accepted only for these (partial indexes whose
 * predicate is the selection, such as the pending-jobs queue). `a|b`: either index will do (the
 * planners of PostgreSQL 15 and 17 choose differently on the same data).
 */
const HOT: Readonly<Record<string, readonly string[]>> = {
  // The reconcile pass.
  GetPrebuildPresets: [],
  // One scan of the prebuilds' partial index: the latest build's state is on the row (0012).
  GetPrebuildWorkspaces: ['workspaces_prebuilds|workspaces_owner_id_name_key'],
  CountInProgressPrebuilds: ['provisioner_jobs_unfinished'],
  CountPendingInactivePrebuildJobs: ['provisioner_jobs_pending'],
  GetPrebuildBackoffInputs: ['workspace_builds_prebuild_creations'],
  GetPrebuildFailureStreaks: ['workspace_builds_prebuild_creations'],
  LockPrebuildForDelete: ['workspaces_pkey'],
  // Claims through POST /api/v1/workspaces.
  ResolveWorkspaceCreate: ['workspaces_owner_id_name_key'],
  // Only the preset's claimable prebuilds (0012), no per-candidate probe.
  ClaimPrebuiltWorkspace: ['workspaces_claimable'],
  // The claim and its build in one statement: the same claim, then the claimed row's latest build.
  ClaimPrebuiltWorkspaceWithBuild: ['workspaces_claimable', 'workspace_builds_latest'],
  EnqueueGetTarget: ['workspaces_pkey', 'workspace_builds_latest'],
  // Provisioner daemons.
  AcquireProvisionerJob: ['provisioner_jobs_pending'],
  CompleteGetBuildContext: ['workspace_builds_job_id_key'],
  PrebuildBecameReady: ['workspace_builds_pkey'],
  // The lifecycle tick and its executors.
  LifecycleCandidates: [
    'workspaces_autostop_at',
    'workspaces_next_start_at',
    'workspaces_autostart_unscheduled',
    'workspaces_failed_build_at',
    'workspaces_dormancy_by_template',
    'workspaces_deleting_at',
  ],
  LifecycleStateByWorkspace: ['workspaces_pkey', 'workspace_builds_latest'],
  AcquireLifecycleJobs: ['workspace_lifecycle_job_due'],
  LeaseNotificationMessages: [
    'notification_messages_deliverable',
    'notification_messages_expired_leases',
  ],
};

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

interface IndexInfo {
  readonly table: string;
}

/**
 * What in a plan is not index-backed: sequential scans of big tables, and full scans of their
 * indexes (no Index Cond) other than the `allowed` ones.
 */
function unindexedScans(
  node: PlanNode,
  indexes: ReadonlyMap<string, IndexInfo>,
  allowed: readonly string[] = [],
): string[] {
  const found: string[] = [];
  const visit = (n: PlanNode) => {
    const relation = n['Relation Name'];
    if (n['Node Type'] === 'Seq Scan' && relation && BIG_TABLES.has(relation)) {
      found.push(`Seq Scan on ${relation}`);
    }
    const name = n['Index Name'];
    const index = name ? indexes.get(name) : undefined;
    if (
      index &&
      name &&
      BIG_TABLES.has(index.table) &&
      !n['Index Cond'] &&
      !allowed.some((choice) => choice.split('|').includes(name))
    ) {
      found.push(`${n['Node Type']} of all of ${n['Index Name']} (${index.table})`);
    }
    for (const child of n.Plans ?? []) visit(child);
  };
  visit(node);
  return found;
}

/** The indexes of big tables a plan reads, sorted. */
function indexesUsed(node: PlanNode, indexes: ReadonlyMap<string, IndexInfo>): string[] {
  const found = new Set<string>();
  const visit = (n: PlanNode) => {
    const name = n['Index Name'];
    const table = name ? indexes.get(name)?.table : undefined;
    if (name && table && BIG_TABLES.has(table)) found.add(name);
    for (const child of n.Plans ?? []) visit(child);
  };
  visit(node);
  return [...found].sort();
}

describe('hot statements are index-backed', () => {
  const db = useTestDatabase();
  const client = { current: undefined as pg.Client | undefined };
  const indexes = new Map<string, IndexInfo>();
  const values: Record<string, unknown> = {};

  beforeAll(async () => {
    await seed(db.url, shapeFor(1_000));
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    client.current = c;
    // History for the queue tables the bench seed leaves empty: mostly finished rows, a few due.
    await c.query(
      `INSERT INTO workspace_lifecycle_job (workspace_id, operation, reason, deadline, started_at,
         completed_at, created_at)
       SELECT w.id, 'stop', 'autostop', now() - interval '1 day',
              CASE WHEN n % 50 <> 0 THEN now() - interval '1 day' END,
              CASE WHEN n % 50 <> 0 THEN now() - interval '1 day' END, now() - interval '1 day'
       FROM (SELECT id, row_number() OVER () AS n FROM workspaces WHERE NOT deleted) w`,
    );
    await c.query(
      `INSERT INTO notification_messages (template, method, status, created_by, send_after, sent_at,
         payload)
       SELECT 'autostop_reminder', 'webhook',
              CASE WHEN g % 50 = 0 THEN 'pending' ELSE 'sent' END::notification_message_status,
              'test', now() - g * interval '1 minute',
              CASE WHEN g % 50 <> 0 THEN now() END, jsonb_build_object('n', g)
       FROM generate_series(1, 2000) g`,
    );
    await c.query('ANALYZE workspace_lifecycle_job, notification_messages');
    await c.query('SET jit = off');
    await c.query('SET enable_seqscan = off');
    const rows = await c.query<{ index: string; table: string }>(
      `SELECT i.relname AS index, t.relname AS table
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public'`,
    );
    for (const r of rows.rows) indexes.set(r.index, { table: r.table });
    const one = async (text: string) => (await c.query<{ v: unknown }>(text)).rows[0]?.v;
    const now = new Date();
    const hourAgo = new Date(now.getTime() - 3_600_000);
    const user = await one(`SELECT id AS v FROM users WHERE NOT is_system LIMIT 1`);
    Object.assign(values, {
      now,
      include_active: true,
      extra_preset_ids: [],
      completed_before: hourAgo,
      since: hourAgo,
      hard_limit: 3,
      preset_id: await one(`SELECT id AS v FROM template_version_presets WHERE name = 'claimable'`),
      new_owner_id: user,
      owner_id: user,
      new_name: 'hot-claim',
      name: 'tpl-0',
      owner: user,
      template: 'tpl-0',
      organization: null,
      template_id: await one(`SELECT template_id AS v FROM workspaces LIMIT 1`),
      version_id: await one(`SELECT template_version_id AS v FROM workspace_builds LIMIT 1`),
      preset_name: 'claimable',
      initiator_id: user,
      provisioner: 'echo',
      input: {},
      parameters: {},
      job_channel: 'hot-test',
      job_payload: '{}',
      reconcile_channel: 'hot-test',
      reconcile_payload: '{}',
      autostart_schedule: null,
      next_start_at: null,
      ttl_ms: null,
      workspace_id: await one(`SELECT id AS v FROM workspaces LIMIT 1`),
      job_id: await one(`SELECT id AS v FROM provisioner_jobs LIMIT 1`),
      build_id: await one(`SELECT id AS v FROM workspace_builds LIMIT 1`),
      worker_id: '00000000-0000-4000-8000-000000000001',
      worker: 'hot-test',
      provisioners: ['echo'],
      tags: {},
      active_window_ms: 3_600_000,
      limit: 10,
      lease_ms: 60_000,
    });
  });

  afterAll(async () => {
    await client.current?.end();
  });

  const explain = async (text: string, bound: unknown[]) => {
    const c = client.current as pg.Client;
    const plan = await c.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `EXPLAIN (FORMAT JSON) ${text}`,
      bound,
    );
    return plan.rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode;
  };

  it.each(Object.keys(HOT))('%s', async (name) => {
    const expected = HOT[name] ?? [];
    const query = sqlQuery(name);
    const bound = query.params.map((param) => {
      if (!(param in values)) throw new Error(`${name}: no test value for :${param}`);
      return values[param];
    });
    const plan = await explain(query.text, bound);
    expect(unindexedScans(plan, indexes, expected)).toEqual([]);
    const used = indexesUsed(plan, indexes);
    const missing = expected.filter(
      (choice) => !choice.split('|').some((index) => used.includes(index)),
    );
    expect(missing, `the plan uses ${used.join(', ')}`).toEqual([]);
  });

  it('the check is not vacuous: it flags statements no index can serve', async () => {
    const seqScan = await explain(`SELECT id FROM workspaces WHERE name LIKE '%x'`, []);
    expect(unindexedScans(seqScan, indexes)).toEqual(['Seq Scan on workspaces']);
    const fullIndex = await explain(`SELECT id FROM workspaces ORDER BY id LIMIT 5 OFFSET 10`, []);
    expect(unindexedScans(fullIndex, indexes)).toEqual([
      expect.stringMatching(/^Index (Only )?Scan of all of workspaces_pkey \(workspaces\)$/),
    ]);
  });
});
