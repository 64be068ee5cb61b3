import pg from 'pg';

import { sqlQuery } from '../../src/db/sql-files.js';
import { cpuMs, schedstat } from '../cpu.js';
import { summarize, type Summary } from '../stats.js';
import { findSeedFile, parseSeedQueries } from './seed-file.js';
import type { BenchRow, BenchSuite } from './types.js';

/** Our query and the seed's query that answers the same question. */
const PAIRS: readonly [ours: string, seeds: string][] = [
  ['GetPrebuildPresets', 'GetTemplatePresetsWithPrebuilds'],
  ['GetPrebuildWorkspaces', 'GetRunningPrebuiltWorkspaces'],
  ['CountInProgressPrebuilds', 'CountInProgressPrebuilds'],
  ['CountPendingInactivePrebuildJobs', ''],
  ['GetPrebuildBackoffInputs', 'GetPresetsBackoff'],
  ['GetPrebuildFailureStreaks', 'GetPresetsAtFailureLimit'],
  ['GetPrebuildMetricsCounters', 'GetPrebuildMetrics'],
  ['GetClaimDemandWindows', ''],
  ['ClaimPrebuiltWorkspace', 'ClaimPrebuiltWorkspace'],
];

/** Tables that grow with workspaces: a sequential scan of one of these is not index-backed. */
const BIG_TABLES = [
  'workspaces',
  'workspace_builds',
  'provisioner_jobs',
  'workspace_agents',
  'prebuild_claim_attempts',
];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode, found: string[] = []): string[] {
  if (node['Node Type'] === 'Seq Scan' && BIG_TABLES.includes(node['Relation Name'] ?? '')) {
    found.push(node['Relation Name'] as string);
  }
  for (const child of node.Plans ?? []) seqScans(child, found);
  return found;
}

/**
 * Each snapshot query, the claim and the metrics query on their own (plain pg client, JIT off,
 * writes rolled back), with an EXPLAIN check that none scans a big table sequentially; and next to
 * each, the seed's query for the same question on the same data as the reference point.
 */
export const queries: BenchSuite = {
  name: 'queries',
  description: "each query alone, ours vs the seed's prebuilds.sql",
  async run({ url, runs }) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('SET jit = off');
      const now = new Date();
      const user = await client.query<{ id: string }>(
        `SELECT id FROM users WHERE NOT is_system LIMIT 1`,
      );
      // A preset with ready prebuilds on an active version, for both claims (rolled back).
      const preset = await client.query<{ id: string }>(
        `SELECT p.id FROM template_version_presets p JOIN templates t ON t.active_version_id = p.template_version_id
         WHERE p.name = 'claimable' LIMIT 1`,
      );
      const values: Record<string, unknown> = {
        include_active: true,
        extra_preset_ids: [],
        completed_before: new Date(now.getTime() - 3_600_000),
        since: new Date(now.getTime() - 3_600_000),
        lookback: new Date(now.getTime() - 3_600_000),
        hard_limit: 3,
        template_id: null,
        preset_id: preset.rows[0]?.id,
        new_user_id: user.rows[0]?.id,
        new_owner_id: user.rows[0]?.id,
        new_name: 'bench-claim',
        autostart_schedule: null,
        next_start_at: null,
        ttl_ms: null,
        now,
      };
      const time = async (
        text: string,
        params: readonly string[],
        writes: boolean,
        count: number,
      ) => {
        const bound = params.map((name) => {
          if (!(name in values)) throw new Error(`no bench value for :${name}`);
          return values[name];
        });
        const once = async () => {
          if (writes) await client.query('BEGIN');
          await client.query(text, bound);
          if (writes) await client.query('ROLLBACK');
        };
        await once();
        const wall: number[] = [];
        const cpu: number[] = [];
        for (let i = 0; i < count; i++) {
          const before = schedstat(pid);
          const started = performance.now();
          await once();
          wall.push(performance.now() - started);
          const used = cpuMs(before, schedstat(pid));
          if (used !== null) cpu.push(used);
        }
        return { wall: summarize(wall), cpu: cpu.length === count ? summarize(cpu) : null };
      };
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
        ?.pid as number;

      const seedFile = findSeedFile();
      const seedQueries = new Map(
        (seedFile ? parseSeedQueries(seedFile) : []).map((q) => [q.name, q]),
      );
      type Timing = { wall: Summary; cpu: Summary | null };
      const results: Record<string, { ours: Timing; seqScans: string[]; seed?: Timing }> = {};
      const rows: BenchRow[] = [];
      for (const [oursName, seedName] of PAIRS) {
        const ours = sqlQuery(oursName);
        const writes = oursName.startsWith('Claim');
        const bound = ours.params.map((name) => values[name]);
        const plan = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
          `EXPLAIN (FORMAT JSON) ${ours.text}`,
          bound,
        );
        const scans = seqScans(plan.rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode);
        const oursTime = await time(ours.text, ours.params, writes, runs);
        const seed = seedQueries.get(seedName);
        // The seed's slow queries get fewer runs: the point is the order of magnitude.
        const seedTime = seed
          ? await time(seed.text, seed.params, writes, Math.min(runs, 5))
          : undefined;
        results[oursName] = {
          ours: oursTime,
          seqScans: scans,
          ...(seedTime ? { seed: seedTime } : {}),
        };
        const show = (t: Timing) => `${t.wall.median} ms${t.cpu ? ` (cpu ${t.cpu.median})` : ''}`;
        rows.push({
          metric: `${oursName}${scans.length ? ` (SEQ SCAN ${scans.join(', ')})` : ''}`,
          value: seedTime
            ? `${show(oursTime)}  | seed ${seedName}: ${show(seedTime)}`
            : show(oursTime),
        });
      }
      return { rows, details: { seedFile, queries: results } };
    } finally {
      await client.end();
    }
  },
};
