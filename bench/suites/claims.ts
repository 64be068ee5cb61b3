import pg from 'pg';
import { type DatabasePool, sql } from 'slonik';

import { createDbPool } from '../../src/db/pool.js';
import { withTransaction } from '../../src/db/tx.js';
import { silentLogger } from '../../src/log/logger.js';
import { claimPrebuiltWorkspace } from '../../src/prebuilds/claim.js';
import { claimWithBuild } from '../../src/prebuilds/claim-build.js';
import { type ResolvedRequest, resolveCreateRequest } from '../../src/prebuilds/create-request.js';
import { cpuMeter } from '../cpu.js';
import { type ClaimPools, createClaimPools, poolOwners, quiesce, settle } from '../claim-pools.js';
import {
  boundQuery,
  closeClients,
  type ConcurrentRun,
  openClients,
  ratio,
  runConcurrently,
} from '../concurrent.js';
import { BARE_CLAIM } from '../references.js';
import type { BenchRow, BenchSuite } from './types.js';

const CLAIMERS = 32;
const SPREAD_PRESETS = 100;
/** Rounds of every variant: `--runs`, at most this many. */
const MAX_ROUNDS = 5;

/** The round with the median rate (the lower middle one of an even count). */
function medianVariant(rounds: readonly Variant[]): Variant {
  const sorted = [...rounds].sort((a, b) => a.run.perSecond - b.run.perSecond);
  const chosen = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!chosen) throw new Error('no rounds measured');
  return { ...chosen, rounds: rounds.map((v) => v.run.perSecond) };
}

/** Claims per measured variant: enough for a steady rate, pools fresh for every variant. */
export function claimsPerRun(workspaces: number): number {
  return Math.min(20_000, Math.max(2_000, Math.round(workspaces / 20 / 100) * 100));
}

export interface Claimed {
  readonly workspaceId: string;
  readonly owner: string;
}

export interface ClaimCheck {
  readonly ok: boolean;
  readonly claims: number;
  readonly distinct: number;
  readonly doubleClaims: number;
  readonly wrongOwner: number;
  readonly text: string;
}

/** Every pool workspace claimed exactly once, and owned by the claimer that got it. */
export async function checkClaims(
  client: pg.Client,
  pools: ClaimPools,
  claimed: readonly Claimed[],
  expected: number,
): Promise<ClaimCheck> {
  const owners = await poolOwners(client, pools);
  const distinct = new Set(claimed.map((c) => c.workspaceId)).size;
  const wrongOwner = claimed.filter((c) => owners.get(c.workspaceId) !== c.owner).length;
  const doubleClaims = claimed.length - distinct;
  const ok = distinct === expected && doubleClaims === 0 && wrongOwner === 0;
  return {
    ok,
    claims: claimed.length,
    distinct,
    doubleClaims,
    wrongOwner,
    text: `${ok ? 'OK' : 'FAILED'}: ${claimed.length} claims, ${distinct} distinct of ${expected}, ${doubleClaims} double, ${wrongOwner} wrong owner`,
  };
}

interface Variant {
  readonly name: string;
  /** Claims/s of every round of this variant, in the order run (on the median one). */
  readonly rounds?: readonly number[];
  readonly pools: ClaimPools;
  readonly run: ConcurrentRun;
  readonly check: ClaimCheck;
  /** CPU per claim: all PostgreSQL backends of the database, and this process. */
  readonly cpuPerClaim: { readonly postgresMs: number | null; readonly nodeMs: number };
}

interface ExplainOutput {
  'Planning Time': number;
  'Execution Time': number;
  Plan: { 'Shared Hit Blocks'?: number; 'Shared Read Blocks'?: number };
}

const per = (ms: number | null, n: number) =>
  ms === null ? null : Math.round((ms / n) * 100) / 100;

/**
 * Claims at 32-way concurrency until the pools are empty, each variant on fresh pools of its own
 * (created together, then VACUUM ANALYZE):
 * - bare: the reference, the least claim statement (bench/references.ts) on a plain pg client,
 *   sent as pgbench sends it by default (parsed and planned on every call);
 * - bare, prepared: the same statement as a named prepared statement (parsed once per connection,
 *   then PostgreSQL's cached plan), the stricter reference, since ours is prepared too;
 * - statement: our ClaimPrebuiltWorkspace on a plain pg client (the statement's own cost), then
 *   the same inside BEGIN/COMMIT (what the transaction's two extra round trips cost);
 * - ours: ClaimPrebuiltWorkspace through our pool, on its own (statement + commit, the target's
 *   definition);
 * - ours as the API: claimWithBuild through our pool, the statement POST /api/v1/workspaces runs
 *   when it claims (the claim, its build, job, parameters, attempt and NOTIFYs in one statement);
 * - ours in a transaction: withTransaction + claimPrebuiltWorkspace (BEGIN, claim, COMMIT), the
 *   general path's claim and, before claimWithBuild, the API's.
 * On one preset, and spread over 100 presets (claim i goes to preset i mod 100: ours and ours as
 * the API). Then the double-claim check on each. Consumes nothing seeded.
 */
export const claims: BenchSuite = {
  name: 'claims',
  description: `${CLAIMERS} concurrent claimers until the pool is empty, vs the bare statement`,
  async run({ url, shape, runs }) {
    const total = claimsPerRun(shape.workspaces);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const clients = await openClients(url, CLAIMERS);
    const pool: DatabasePool = await createDbPool(url, {
      logger: silentLogger(),
      maximumPoolSize: CLAIMERS + 2,
    });
    try {
      const owners = (
        await admin.query<{ id: string }>(
          `SELECT id FROM users WHERE NOT is_system ORDER BY username LIMIT ${CLAIMERS}`,
        )
      ).rows.map((r) => r.id);
      const explainPool = await createClaimPools(admin, 'cb-explain', 1, 100);
      await settle(admin);
      // slonik opens connections lazily and closes idle ones after 10 s: open all before timing.
      const warm = () =>
        Promise.all(
          Array.from({ length: CLAIMERS }, () =>
            pool.connect((c) => c.query(sql.unsafe`SELECT pg_sleep(0.05)`)),
          ),
        );
      const meter = cpuMeter(admin);
      const checkpoints: boolean[] = [];
      const owner = (worker: number) => owners[worker % owners.length] as string;
      const pick = (pools: ClaimPools, index: number) => index % pools.presetIds.length;

      const measure = async (
        name: string,
        pools: ClaimPools,
        claim: (worker: number, index: number, k: number) => Promise<string | undefined>,
      ): Promise<Variant> => {
        const claimed: Claimed[] = [];
        checkpoints.push((await quiesce(admin)).checkpoint);
        await warm();
        await meter.start();
        const run = await runConcurrently(CLAIMERS, total, async (worker, index) => {
          const id = await claim(worker, index, pick(pools, index));
          if (id) claimed.push({ workspaceId: id, owner: owner(worker) });
          return id !== undefined;
        });
        const cpu = meter.stop();
        return {
          name,
          pools,
          run,
          check: await checkClaims(admin, pools, claimed, total),
          cpuPerClaim: {
            postgresMs: per(cpu.backendMs, run.done),
            nodeMs: per(cpu.nodeMs, run.done) ?? 0,
          },
        };
      };
      const bare = (pools: ClaimPools) => (worker: number, index: number, k: number) =>
        (clients[worker] as pg.Client)
          .query<{ id: string }>(BARE_CLAIM, [
            owner(worker),
            `${pools.label}-${index}`,
            pools.templateIds[k],
          ])
          .then((r) => r.rows[0]?.id);
      const barePrepared = (pools: ClaimPools) => (worker: number, index: number, k: number) =>
        (clients[worker] as pg.Client)
          .query<{ id: string }>({
            name: 'bench_bare_claim',
            text: BARE_CLAIM,
            values: [owner(worker), `${pools.label}-${index}`, pools.templateIds[k]],
          })
          .then((r) => r.rows[0]?.id);
      const claimValues = (pools: ClaimPools, worker: number, index: number, k: number) => ({
        preset_id: pools.presetIds[k],
        new_owner_id: owner(worker),
        new_name: `${pools.label}-${index}`,
        autostart_schedule: null,
        next_start_at: null,
        ttl_ms: 8 * 3_600_000,
        now: new Date(),
      });
      const statement = (pools: ClaimPools) => (worker: number, index: number, k: number) => {
        const q = boundQuery('ClaimPrebuiltWorkspace', claimValues(pools, worker, index, k));
        return (clients[worker] as pg.Client)
          .query<{ id: string }>(q.text, q.values)
          .then((r) => r.rows[0]?.id);
      };
      const statementTx =
        (pools: ClaimPools) => async (worker: number, index: number, k: number) => {
          const client = clients[worker] as pg.Client;
          const q = boundQuery('ClaimPrebuiltWorkspace', claimValues(pools, worker, index, k));
          await client.query('BEGIN');
          const r = await client.query<{ id: string }>(q.text, q.values);
          await client.query('COMMIT');
          return r.rows[0]?.id;
        };
      const claimRequest = (pools: ClaimPools, worker: number, index: number, k: number) => ({
        presetId: pools.presetIds[k] as string,
        ownerId: owner(worker),
        name: `${pools.label}-${index}`,
        autostartSchedule: null,
        nextStartAt: null,
        ttlMs: 8 * 3_600_000,
        now: new Date(),
      });
      const ours = (pools: ClaimPools) => (worker: number, index: number, k: number) =>
        claimPrebuiltWorkspace(pool, claimRequest(pools, worker, index, k)).then((row) => row?.id);
      const inTransaction = (pools: ClaimPools) => (worker: number, index: number, k: number) =>
        withTransaction(pool, {}, (tx) =>
          claimPrebuiltWorkspace(tx, claimRequest(pools, worker, index, k)),
        ).then((row) => row?.id);
      // The API's request, resolved once per preset and claimer (as ResolveWorkspaceCreate would
      // for each request), then named per claim.
      const resolved = async (pools: ClaimPools) => {
        const requests = new Map<string, ResolvedRequest>();
        for (let k = 0; k < pools.presetIds.length; k++) {
          for (let worker = 0; worker < Math.min(CLAIMERS, owners.length); worker++) {
            const request = await resolveCreateRequest(
              pool,
              {
                owner: owner(worker),
                template: pools.templateNames[k] as string,
                preset: pools.presetNames[k],
                name: 'resolved',
              },
              new Date(),
            );
            requests.set(`${k}/${worker % owners.length}`, request);
          }
        }
        return (worker: number, index: number, k: number) => {
          const request = requests.get(`${k}/${worker % owners.length}`) as ResolvedRequest;
          return claimWithBuild(
            pool,
            { ...request, name: `${pools.label}-${index}` },
            new Date(),
          ).then((built) => built?.workspace.id);
        };
      };

      // Every variant once per round, on pools created for the round (then VACUUM ANALYZE), in
      // an order rotated each round; the figures are the median round's. A single run of a few
      // seconds moved by up to 1.5x between identical variants (BENCHMARKS.md).
      type Claim = (worker: number, index: number, k: number) => Promise<string | undefined>;
      const specs: {
        readonly key: string;
        readonly name: string;
        readonly presets: number;
        readonly make: (pools: ClaimPools) => Claim | Promise<Claim>;
      }[] = [
        { key: 'bare-one', name: 'bare, one preset', presets: 1, make: bare },
        {
          key: 'bare-prep-one',
          name: 'bare, prepared, one preset',
          presets: 1,
          make: barePrepared,
        },
        { key: 'stmt-one', name: 'statement, one preset', presets: 1, make: statement },
        {
          key: 'stmt-tx-one',
          name: 'statement in BEGIN/COMMIT, one preset',
          presets: 1,
          make: statementTx,
        },
        {
          key: 'ours-one',
          name: 'ours (claim statement through the pool), one preset',
          presets: 1,
          make: ours,
        },
        {
          key: 'api-one',
          name: 'ours as the API (claim and build in one statement), one preset',
          presets: 1,
          make: resolved,
        },
        {
          key: 'tx-one',
          name: 'ours in a transaction (BEGIN, claim, COMMIT), one preset',
          presets: 1,
          make: inTransaction,
        },
        { key: 'bare-spread', name: 'bare, 100 presets', presets: SPREAD_PRESETS, make: bare },
        {
          key: 'bare-prep-spread',
          name: 'bare, prepared, 100 presets',
          presets: SPREAD_PRESETS,
          make: barePrepared,
        },
        {
          key: 'ours-spread',
          name: 'ours (claim statement through the pool), 100 presets',
          presets: SPREAD_PRESETS,
          make: ours,
        },
        {
          key: 'api-spread',
          name: 'ours as the API, 100 presets',
          presets: SPREAD_PRESETS,
          make: resolved,
        },
      ];
      const rounds = Math.max(1, Math.min(MAX_ROUNDS, runs));
      const measured = new Map<string, Variant[]>(specs.map((spec) => [spec.key, []]));
      for (let round = 0; round < rounds; round++) {
        const pools = new Map<string, ClaimPools>();
        for (const spec of specs) {
          pools.set(
            spec.key,
            await createClaimPools(
              admin,
              `cb-${spec.key}-r${round}`,
              spec.presets,
              total / spec.presets,
            ),
          );
        }
        await settle(admin);
        for (let i = 0; i < specs.length; i++) {
          const spec = specs[(i + round) % specs.length] as (typeof specs)[number];
          const roundPools = pools.get(spec.key) as ClaimPools;
          const variant = await measure(spec.name, roundPools, await spec.make(roundPools));
          measured.get(spec.key)?.push(variant);
        }
      }
      const all = [...measured.values()].flat();
      const median = (key: string) => medianVariant(measured.get(key) ?? []);
      const bareOne = median('bare-one');
      const barePreparedOne = median('bare-prep-one');
      const statementOne = median('stmt-one');
      const statementTxOne = median('stmt-tx-one');
      const oursOne = median('ours-one');
      const apiOne = median('api-one');
      const txOne = median('tx-one');
      const bareSpread = median('bare-spread');
      const barePreparedSpread = median('bare-prep-spread');
      const oursSpread = median('ours-spread');
      const apiSpread = median('api-spread');
      // Where an uncontended claim goes on the server: both statements under EXPLAIN ANALYZE
      // (rolled back), on a fresh pool of their own.
      const explain = async (text: string, values: unknown[]) => {
        await admin.query('BEGIN');
        try {
          await admin.query('SET LOCAL jit = off');
          const { rows } = await admin.query<{ 'QUERY PLAN': ExplainOutput[] }>(
            `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`,
            values,
          );
          const e = rows[0]?.['QUERY PLAN'][0] as ExplainOutput;
          return {
            planningMs: e['Planning Time'],
            executionMs: e['Execution Time'],
            sharedBuffers: (e.Plan['Shared Hit Blocks'] ?? 0) + (e.Plan['Shared Read Blocks'] ?? 0),
          };
        } finally {
          await admin.query('ROLLBACK');
        }
      };
      const explainOurs = boundQuery('ClaimPrebuiltWorkspace', {
        ...claimValues(explainPool, 0, 0, 0),
        new_name: 'cb-explain-x',
      });
      // Twice each: the first pays for the session's catalog caches.
      await explain(explainOurs.text, explainOurs.values);
      const explainedOurs = await explain(explainOurs.text, explainOurs.values);
      const bareValues = [owner(0), 'cb-explain-y', explainPool.templateIds[0]];
      await explain(BARE_CLAIM, bareValues);
      const explainedBare = await explain(BARE_CLAIM, bareValues);
      const fmt = (e: typeof explainedOurs) =>
        `${e.planningMs.toFixed(3)} / ${e.executionMs.toFixed(3)} ms, ${e.sharedBuffers} buffers`;
      const line = (v: Variant, reference?: Variant, to = 'bare'): BenchRow[] => [
        {
          metric: `${v.name}: claims/s, p50 / p99${reference ? ` (ratio to ${to})` : ''}`,
          value: `${v.run.perSecond}, ${v.run.latency.median} / ${v.run.latency.p99} ms${
            reference
              ? ` (${ratio(v.run.perSecond, reference.run.perSecond)} rate, ${ratio(v.run.latency.p99, reference.run.latency.p99)} p99)`
              : ''
          }; CPU/claim ${v.cpuPerClaim.postgresMs ?? '?'} PG + ${v.cpuPerClaim.nodeMs} Node ms${
            v.rounds && v.rounds.length > 1 ? `; rounds ${v.rounds.join(' / ')}/s` : ''
          }`,
        },
      ];
      const variants = [
        bareOne,
        barePreparedOne,
        statementOne,
        statementTxOne,
        oursOne,
        apiOne,
        txOne,
        bareSpread,
        barePreparedSpread,
        oursSpread,
        apiSpread,
      ];
      const failed = all.filter((v) => !v.check.ok);
      return {
        rows: [
          ...line(bareOne),
          ...line(barePreparedOne, bareOne),
          ...line(statementOne, bareOne),
          ...line(statementTxOne, bareOne),
          ...line(oursOne, bareOne),
          ...line(apiOne, bareOne),
          ...line(txOne, bareOne),
          ...line(oursOne, barePreparedOne, 'bare, prepared'),
          ...line(bareSpread),
          ...line(barePreparedSpread, bareSpread),
          ...line(oursSpread, bareSpread),
          ...line(apiSpread, bareSpread),
          ...line(oursSpread, barePreparedSpread, 'bare, prepared'),
          {
            metric: 'before each variant (untimed)',
            value: checkpoints.every(Boolean)
              ? 'VACUUM and CHECKPOINT'
              : 'VACUUM only (CHECKPOINT needs superuser or pg_checkpoint)',
          },
          {
            metric: 'uncontended, EXPLAIN ANALYZE: planning / execution, buffers: ours | bare',
            value: `${fmt(explainedOurs)} | ${fmt(explainedBare)}`,
          },
          {
            metric: `double-claim check (${all.length} runs of ${total})`,
            value:
              failed.length === 0
                ? `OK: every run ${total} distinct, 0 double, 0 wrong owner`
                : failed.map((v) => `${v.name}: ${v.check.text}`).join('; '),
          },
        ],
        details: {
          claimers: CLAIMERS,
          claimsPerRun: total,
          spreadPresets: SPREAD_PRESETS,
          rounds,
          variants: variants.map((v) => ({
            name: v.name,
            rounds: v.rounds,
            run: v.run,
            check: v.check,
            cpuPerClaim: v.cpuPerClaim,
          })),
          explained: { ours: explainedOurs, bare: explainedBare },
          ratios: {
            oursOneToBare: oursOne.run.perSecond / bareOne.run.perSecond,
            oursOneToBarePrepared: oursOne.run.perSecond / barePreparedOne.run.perSecond,
            oursOneP99ToBarePrepared: oursOne.run.latency.p99 / barePreparedOne.run.latency.p99,
            barePreparedOneToBare: barePreparedOne.run.perSecond / bareOne.run.perSecond,
            apiOneToBare: apiOne.run.perSecond / bareOne.run.perSecond,
            transactionOneToBare: txOne.run.perSecond / bareOne.run.perSecond,
            apiOneP99ToBare: apiOne.run.latency.p99 / bareOne.run.latency.p99,
            statementOneToBare: statementOne.run.perSecond / bareOne.run.perSecond,
            oursSpreadToBare: oursSpread.run.perSecond / bareSpread.run.perSecond,
            oursSpreadToBarePrepared: oursSpread.run.perSecond / barePreparedSpread.run.perSecond,
            apiSpreadToBare: apiSpread.run.perSecond / bareSpread.run.perSecond,
            oursOneP99ToBare: oursOne.run.latency.p99 / bareOne.run.latency.p99,
            oursSpreadP99ToBare: oursSpread.run.latency.p99 / bareSpread.run.latency.p99,
          },
        },
      };
    } finally {
      await pool.end();
      await closeClients(clients);
      await admin.end();
    }
  },
};
