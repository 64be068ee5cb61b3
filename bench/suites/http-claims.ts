import pg from 'pg';
import { sql } from 'slonik';

import { loadConfig } from '../../src/config/load.js';
import { Listener } from '../../src/db/listener.js';
import { createDbPool } from '../../src/db/pool.js';
import { databaseReadiness } from '../../src/db/readiness.js';
import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { createdWorkspaceJson, createWorkspace } from '../../src/prebuilds/create-workspace.js';
import { prebuildsFeature } from '../../src/prebuilds/feature.js';
import { DEFAULT_POOL_SIZE } from '../../src/service/controller.js';
import { type ClaimPools, createClaimPools, settle } from '../claim-pools.js';
import { boundQuery, closeClients, openClients, ratio, runConcurrently } from '../concurrent.js';
import { cpuMeter } from '../cpu.js';
import { BARE_CLAIM } from '../references.js';
import {
  captureStatements,
  explainCaptured,
  timeStatements,
  topStatements,
} from '../statement-timer.js';
import { type Claimed, checkClaims, claimsPerRun } from './claims.js';
import type { BenchSuite } from './types.js';

const CLIENTS = 32;
const TOKEN = 'bench-token';

/**
 * Claims end to end: 32 HTTP clients (keep-alive) POST /api/v1/workspaces against the API served
 * in this process (the prebuilds feature's routes, no components started, the controller's
 * default pool of 10 connections), each request resolving owner, template and preset, claiming,
 * inserting the claim build and its job and answering the workspace. Next to it, on fresh pools
 * of their own, the claim statement alone (plain pg client) and the bare statement, at the same
 * concurrency. Then the double-claim check. Clients and server share this process's CPU.
 */
export const httpClaims: BenchSuite = {
  name: 'http-claims',
  description: `${CLIENTS} HTTP clients POST /api/v1/workspaces until the pool is empty`,
  async run({ url, shape }) {
    const total = claimsPerRun(shape.workspaces);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const clients = await openClients(url, CLIENTS);
    const pool = await createDbPool(url, {
      logger: silentLogger(),
      maximumPoolSize: DEFAULT_POOL_SIZE,
    });
    const logger = silentLogger();
    const listener = new Listener(url, logger);
    await listener.start();
    const registry = createRegistry();
    const config = loadConfig({ databaseUrl: url, apiToken: TOKEN }, {});
    const feature = prebuildsFeature({
      config,
      logger,
      pool,
      listener,
      registry,
      clock: { now: () => new Date() },
      databaseUrl: url,
    });
    const app = await buildApp({
      logger,
      registry,
      apiToken: TOKEN,
      readiness: () => databaseReadiness(pool),
      api: feature.api ?? [],
    });
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const owners = (
        await admin.query<{ id: string }>(
          `SELECT id FROM users WHERE NOT is_system AND status = 'active' ORDER BY username LIMIT ${CLIENTS}`,
        )
      ).rows.map((r) => r.id);
      const owner = (worker: number) => owners[worker % owners.length] as string;
      const pools = {
        bare: await createClaimPools(admin, 'ch-bare', 1, total),
        statement: await createClaimPools(admin, 'ch-stmt', 1, total),
        http: await createClaimPools(admin, 'ch-http', 1, total),
        profile: await createClaimPools(admin, 'ch-profile', 1, 60),
      };
      await settle(admin);
      const meter = cpuMeter(admin);

      const measure = async (
        pools: ClaimPools,
        claim: (worker: number, index: number) => Promise<string | undefined>,
      ) => {
        const claimed: Claimed[] = [];
        await Promise.all(
          Array.from({ length: DEFAULT_POOL_SIZE }, () =>
            pool.connect((c) => c.query(sql.unsafe`SELECT pg_sleep(0.02)`)),
          ),
        );
        await meter.start();
        const run = await runConcurrently(CLIENTS, total, async (worker, index) => {
          const id = await claim(worker, index);
          if (id) claimed.push({ workspaceId: id, owner: owner(worker) });
          return id !== undefined;
        });
        const cpu = meter.stop();
        const per = (ms: number | null) =>
          ms === null ? null : Math.round((ms / Math.max(1, run.done)) * 100) / 100;
        return {
          run,
          check: await checkClaims(admin, pools, claimed, total),
          cpuPerClaim: { postgresMs: per(cpu.backendMs), nodeMs: per(cpu.nodeMs) },
        };
      };

      const bare = await measure(pools.bare, (worker, index) =>
        (clients[worker] as pg.Client)
          .query<{ id: string }>(BARE_CLAIM, [
            owner(worker),
            `ch-bare-${index}`,
            pools.bare.templateIds[0],
          ])
          .then((r) => r.rows[0]?.id),
      );
      const statement = await measure(pools.statement, (worker, index) => {
        const q = boundQuery('ClaimPrebuiltWorkspace', {
          preset_id: pools.statement.presetIds[0],
          new_owner_id: owner(worker),
          new_name: `ch-stmt-${index}`,
          autostart_schedule: null,
          next_start_at: null,
          ttl_ms: 8 * 3_600_000,
          now: new Date(),
        });
        return (clients[worker] as pg.Client)
          .query<{ id: string }>(q.text, q.values)
          .then((r) => r.rows[0]?.id);
      });
      let notClaimed = 0;
      const http = await measure(pools.http, async (worker, index) => {
        const response = await fetch(`${base}/api/v1/workspaces`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            owner: owner(worker),
            template: pools.http.templateNames[0],
            preset: pools.http.presetNames[0],
            name: `ch-http-${index}`,
          }),
        });
        const body = (await response.json()) as { claimed?: boolean; workspace?: { id: string } };
        if (response.status !== 201) {
          throw new Error(`POST /api/v1/workspaces: ${response.status} ${JSON.stringify(body)}`);
        }
        if (!body.claimed) notClaimed += 1;
        return body.claimed ? body.workspace?.id : undefined;
      });
      // Where an uncontended claim request goes: what the route handler runs (createWorkspace,
      // then the answer's read), one request at a time, every statement timed.
      const PROFILED = 50;
      const profileOne = (i: number) =>
        createWorkspace(
          pool,
          {
            owner: owner(0),
            template: pools.profile.templateNames[0] as string,
            preset: pools.profile.presetNames[0],
            name: `ch-profile-${i}`,
          },
          new Date(),
        ).then((created) => createdWorkspaceJson(pool, created));
      for (let i = 0; i < 5; i++) await profileOne(i);
      await meter.start();
      const profileStart = performance.now();
      const { statements } = await timeStatements(async () => {
        for (let i = 5; i < 5 + PROFILED; i++) await profileOne(i);
      });
      const profileMs = (performance.now() - profileStart) / PROFILED;
      const profileCpu = meter.stop();
      const profilePgMs =
        profileCpu.backendMs === null ? '?' : (profileCpu.backendMs / PROFILED).toFixed(2);
      // The same request's statements replayed under EXPLAIN ANALYZE: planning vs execution.
      const captured = await captureStatements(() => profileOne(5 + PROFILED));
      const explained = await explainCaptured(admin, captured);
      const planning = explained.reduce((n, e) => n + e.planningMs, 0);
      const execution = explained.reduce((n, e) => n + e.executionMs, 0);
      const show = (v: typeof bare) =>
        `${v.run.perSecond}, ${v.run.latency.median} / ${v.run.latency.p99} ms; CPU/claim ${v.cpuPerClaim.postgresMs ?? '?'} PG + ${v.cpuPerClaim.nodeMs} Node ms`;
      const failed = (
        [
          ['bare', bare],
          ['statement', statement],
          ['http', http],
        ] as const
      ).filter(([, v]) => !v.check.ok);
      return {
        rows: [
          { metric: 'bare statement: claims/s, p50 / p99', value: show(bare) },
          {
            metric: 'claim statement alone: claims/s, p50 / p99',
            value: `${show(statement)} (${ratio(statement.run.perSecond, bare.run.perSecond)} of bare)`,
          },
          {
            metric: `HTTP POST /api/v1/workspaces (pool ${DEFAULT_POOL_SIZE}): claims/s, p50 / p99`,
            value: `${show(http)} (${ratio(http.run.perSecond, statement.run.perSecond)} of the statement, ${ratio(http.run.perSecond, bare.run.perSecond)} of bare)`,
          },
          {
            metric:
              'uncontended claim request (handler, no HTTP): wall (CPU PG + Node), statements, top statements',
            value: `${profileMs.toFixed(2)} ms (${profilePgMs} + ${(profileCpu.nodeMs / PROFILED).toFixed(2)} ms), ${statements.reduce((n, st) => n + st.calls, 0) / PROFILED} statements: ${topStatements(statements, 4, PROFILED)}`,
          },
          {
            metric: `its ${explained.length} reads and the claim under EXPLAIN ANALYZE: planning / execution`,
            value: `${planning.toFixed(2)} / ${execution.toFixed(2)} ms; most planning: ${[
              ...explained,
            ]
              .sort((a, b) => b.planningMs - a.planningMs)
              .slice(0, 3)
              .map((e) => `${e.planningMs} ms ${e.statement.slice(0, 40)}`)
              .join('; ')}`,
          },
          {
            metric: `double-claim check (3 runs of ${total})`,
            value:
              failed.length === 0 && notClaimed === 0
                ? `OK: every run ${total} distinct, 0 double, 0 wrong owner; every request claimed`
                : `FAILED: ${failed.map(([n, v]) => `${n}: ${v.check.text}`).join('; ')}; ${notClaimed} requests built instead of claiming`,
          },
        ],
        details: {
          clients: CLIENTS,
          poolSize: DEFAULT_POOL_SIZE,
          claimsPerRun: total,
          bare,
          statement,
          http,
          notClaimed,
          uncontendedRequest: { ms: profileMs, statements, explained },
          ratios: {
            httpToStatement: http.run.perSecond / statement.run.perSecond,
            httpToBare: http.run.perSecond / bare.run.perSecond,
          },
        },
      };
    } finally {
      await app.close();
      await listener.stop();
      await pool.end();
      await closeClients(clients);
      await admin.end();
    }
  },
};
