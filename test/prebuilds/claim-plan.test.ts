import { randomUUID } from 'node:crypto';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createClaimPools, settle } from '../../bench/claim-pools.js';
import { sqlQuery } from '../../src/db/sql-files.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';

/**
 * The claim's generic plan walks the preset's candidates in order and stops at the first it can
 * lock. The claim runs as a named prepared statement, so PostgreSQL plans it once without the
 * preset's id; a condition that made that plan expect a single candidate turned it into "read
 * every candidate of the preset, sort them, take one": 1 ms per claim at 2,000 prebuilds,
 * growing with the pool. The state below is the one that produced it (many versions with a few
 * prebuilds each, one big pool, fresh statistics), and the plan is the generic one.
 */

const db = useTestDatabase();
let client: pg.Client;
let presetId: string;
let owner: string;

beforeAll(async () => {
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  owner = await createUser(db.pool);
  await createClaimPools(client, 'plan-many', 150, 2);
  presetId = (await createClaimPools(client, 'plan-big', 1, 400)).presetIds[0] as string;
  await settle(client);
  await client.query('SET plan_cache_mode = force_generic_plan');
  await client.query('SET jit = off');
});

afterAll(async () => {
  await client.end();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Alias?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

async function genericPlan(
  name: string,
  values: Record<string, string | number | Date | null>,
): Promise<PlanNode[]> {
  const query = sqlQuery(name);
  const statement = `plan_${name.toLowerCase()}`;
  await client.query(`PREPARE ${statement} AS ${query.text}`);
  try {
    // EXECUTE takes no bind parameters: its arguments are literals, typed by the statement.
    const literal = (value: string | number | Date | null | undefined) =>
      value === null || value === undefined
        ? 'NULL'
        : client.escapeLiteral(value instanceof Date ? value.toISOString() : String(value));
    const args = query.params.map((param) => literal(values[param])).join(', ');
    const { rows } = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `EXPLAIN (FORMAT JSON) EXECUTE ${statement}(${args})`,
    );
    return nodes((rows[0] as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan);
  } finally {
    await client.query(`DEALLOCATE ${statement}`);
  }
}

describe("the claim's generic plan", () => {
  it.each(['ClaimCandidate', 'ClaimPrebuiltWorkspace', 'ClaimPrebuiltWorkspaceWithBuild'])(
    '%s walks workspaces_claimable in order: no sort, no bitmap of the whole pool',
    async (name) => {
      const plan = await genericPlan(name, {
        preset_id: presetId,
        now: new Date(),
        new_owner_id: owner,
        new_name: 'plan-claim',
        autostart_schedule: null,
        next_start_at: null,
        ttl_ms: null,
        // The claim build's values: EXPLAIN plans the statement without running it.
        template_id: randomUUID(),
        version_id: randomUUID(),
        preset_name: 'pool',
        job_id: randomUUID(),
        build_id: randomUUID(),
        provisioner: 'echo',
        tags: '{}',
        input: '{}',
        parameters: '{}',
        job_channel: 'plan',
        job_payload: '{}',
        reconcile_channel: 'plan',
        reconcile_payload: '{}',
      });
      const candidates = plan.filter((n) => n.Alias === 'pw');
      expect(candidates.map((n) => [n['Node Type'], n['Index Name']])).toEqual([
        ['Index Scan', 'workspaces_claimable'],
      ]);
      expect(plan.filter((n) => n['Node Type'] === 'Sort')).toEqual([]);
    },
  );
});
