import { Agent, request as httpRequest } from 'node:http';

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
import { type ClaimPools, createClaimPools, quiesce, settle } from '../claim-pools.js';
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

/**
 * One POST through node:http on a keep-alive agent: the load generator shares the server's CPU,
 * and fetch (undici) spent about 0.7 ms of it per request here, node:http about 0.05 ms.
 */
function postJson(
  agent: Agent,
  url: string,
  token: string,
  payload: unknown,
): Promise<{ status: number; body: unknown }> {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
            });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
/** Untimed requests first, per path: V8 compiles the route, the schemas and the client. */
const WARM_UP = 300;
const TOKEN = 'bench-token';

/**
 * Claims end to end: 32 HTTP clients (node:http, keep-alive) POST /api/v1/workspaces against the API served
 * in this process (the prebuilds feature's routes, no components started, the controller's
 * default pool of 10 connections), each request resolving owner, template and preset, claiming,
 * inserting the claim build and its job and answering the workspace. Next to it, on fresh pools
 * of their own, the claim statement alone (plain pg client) and the bare statement, at the same
 * concurrency, and the route's work without HTTP (createWorkspace and the answer). Each variant
 * starts after quiesce (VACUUM, CHECKPOINT); the two API paths after 300 untimed requests each.
 * Then the double-claim check. Clients and server share this process's CPU.
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
    const cleanups: (() => void)[] = [];
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
      const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
      cleanups.push(() => agent.destroy());
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
        handler: await createClaimPools(admin, 'ch-handler', 1, total),
        warm: await createClaimPools(admin, 'ch-warm', 1, WARM_UP * 2),
        profile: await createClaimPools(admin, 'ch-profile', 1, 60),
      };
      await settle(admin);
      const meter = cpuMeter(admin);

      const measure = async (
        pools: ClaimPools,
        claim: (worker: number, index: number) => Promise<string | undefined>,
      ) => {
        const claimed: Claimed[] = [];
        await quiesce(admin);
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
      const post = async (worker: number, pools: ClaimPools, name: string) => {
        const { status, body } = await postJson(agent, `${base}/api/v1/workspaces`, TOKEN, {
          owner: owner(worker),
          template: pools.templateNames[0],
          preset: pools.presetNames[0],
          name,
        });
        const answer = body as { claimed?: boolean; workspace?: { id: string } };
        if (status !== 201) {
          throw new Error(`POST /api/v1/workspaces: ${status} ${JSON.stringify(body)}`);
        }
        if (!answer.claimed) notClaimed += 1;
        return answer.claimed ? answer.workspace?.id : undefined;
      };
      // What the route runs, without HTTP: createWorkspace and the answer, same pool and clients.
      const handle = (worker: number, pools: ClaimPools, name: string) =>
        createWorkspace(
          pool,
          {
            owner: owner(worker),
            template: pools.templateNames[0] as string,
            preset: pools.presetNames[0],
            name,
          },
          new Date(),
        ).then(async (created) => {
          JSON.stringify(await createdWorkspaceJson(pool, created));
          if (!created.claimed) notClaimed += 1;
          return created.claimed ? created.workspace.id : undefined;
        });
      await runConcurrently(CLIENTS, WARM_UP, (worker, index) =>
        post(worker, pools.warm, `ch-warm-http-${index}`).then((id) => id !== undefined),
      );
      await runConcurrently(CLIENTS, WARM_UP, (worker, index) =>
        handle(worker, pools.warm, `ch-warm-handler-${index}`).then((id) => id !== undefined),
      );
      const http = await measure(pools.http, (worker, index) =>
        post(worker, pools.http, `ch-http-${index}`),
      );
      const handler = await measure(pools.handler, (worker, index) =>
        handle(worker, pools.handler, `ch-handler-${index}`),
      );
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
          ['handler', handler],
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
              'the same requests without HTTP (createWorkspace + answer): claims/s, p50 / p99',
            value: `${show(handler)} (HTTP is ${ratio(http.run.perSecond, handler.run.perSecond)} of it)`,
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
            metric: `double-claim check (4 runs of ${total})`,
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
          handler,
          notClaimed,
          uncontendedRequest: { ms: profileMs, statements, explained },
          ratios: {
            httpToStatement: http.run.perSecond / statement.run.perSecond,
            httpToBare: http.run.perSecond / bare.run.perSecond,
            httpToHandler: http.run.perSecond / handler.run.perSecond,
          },
        },
      };
    } finally {
      for (const cleanup of cleanups) cleanup();
      await app.close();
      await listener.stop();
      await pool.end();
      await closeClients(clients);
      await admin.end();
    }
  },
};
