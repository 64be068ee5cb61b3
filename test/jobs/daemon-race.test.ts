import { Registry } from 'prom-client';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { Listener } from '../../src/db/listener.js';
import { createDbPool } from '../../src/db/pool.js';
import { withTransaction } from '../../src/db/tx.js';
import { Acquirer } from '../../src/jobs/acquirer.js';
import { enqueueWorkspaceBuild } from '../../src/jobs/enqueue.js';
import { jobMetricsFor } from '../../src/jobs/metrics.js';
import { silentLogger } from '../../src/log/logger.js';
import { EchoProvisioner } from '../../src/provisioners/echo.js';
import type { Provisioner } from '../../src/provisioners/types.js';
import { systemClock } from '../../src/util/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createTemplate, createTemplateVersion, createUser } from '../helpers/fixtures.js';
import { startTestDaemon, type TestDaemon } from './helpers.js';

const db = useTestDatabase();
const JOBS = 1_000;
const DAEMONS = 8;

/** Echo that also counts how often each job ran. */
function countingEcho(runs: Map<string, number>): Provisioner {
  const echo = new EchoProvisioner({
    durationMs: 0,
    failureRate: 0,
    seed: 's',
    agentReadyDelayMs: 0,
  });
  return {
    type: 'echo',
    provision: (request) => {
      runs.set(request.jobId, (runs.get(request.jobId) ?? 0) + 1);
      return echo.provision(request);
    },
  };
}

describe(`${DAEMONS} daemons racing over ${JOBS} jobs`, () => {
  const daemons: TestDaemon[] = [];
  let pool: Awaited<ReturnType<typeof createDbPool>>;
  let shared: { acquirer: Acquirer; listener: Listener };

  beforeAll(async () => {
    pool = await createDbPool(db.url, { logger: silentLogger(), maximumPoolSize: 40 });
  });
  afterAll(async () => {
    for (const daemon of daemons) await daemon.stop();
    shared?.acquirer.close();
    await shared?.listener.stop();
    await pool?.end();
  });

  it('runs every job exactly once', { timeout: 180_000 }, async () => {
    const owner = await createUser(db.pool);
    const templateId = await createTemplate(db.pool);
    await createTemplateVersion(db.pool, { templateId });
    await db.pool.query(sql.unsafe`
      INSERT INTO workspaces (owner_id, organization_id, template_id, name)
      SELECT ${owner}, t.organization_id, t.id, 'race-' || n
      FROM templates t, generate_series(1, ${JOBS}) AS n
      WHERE t.id = ${templateId}`);
    const workspaces = await db.pool.anyFirst(
      sql.type(
        z.object({ id: z.string() }),
      )`SELECT id FROM workspaces WHERE template_id = ${templateId}`,
    );
    await withTransaction(db.pool, {}, async (tx) => {
      for (const workspaceId of workspaces) {
        await enqueueWorkspaceBuild(tx, {
          workspaceId,
          transition: 'start',
          reason: 'initiator',
          initiatorId: owner,
          now: new Date(),
        });
      }
    });

    const runs = new Map<string, number>();
    const echo = countingEcho(runs);
    const registry = new Registry();
    const metrics = jobMetricsFor(registry);
    // Half the daemons are separate "processes" (own acquirer and listener), half share one.
    const listener = new Listener(db.url, silentLogger());
    await listener.start();
    shared = {
      listener,
      acquirer: new Acquirer({
        db: pool,
        listener,
        logger: silentLogger(),
        clock: systemClock,
        pollIntervalMs: 1_000,
      }),
    };
    for (let i = 0; i < DAEMONS; i++) {
      daemons.push(
        await startTestDaemon({
          db: pool,
          url: db.url,
          ...(i % 2 === 0 ? { acquirer: shared.acquirer } : {}),
          pollIntervalMs: 1_000,
          concurrency: 4,
          name: `race-${i}`,
          provisionerFor: () => echo,
          metrics,
        }),
      );
    }

    const Counts = z.object({ status: z.string(), jobs: z.number(), workers: z.number() });
    let counts: readonly z.infer<typeof Counts>[] = [];
    const deadline = Date.now() + 170_000;
    while (Date.now() < deadline) {
      counts = await db.pool.any(sql.type(Counts)`
        SELECT j.job_status::text AS status, count(*)::int AS jobs,
               count(DISTINCT j.worker_id)::int AS workers
        FROM provisioner_jobs j JOIN workspace_builds b ON b.job_id = j.id
        WHERE b.workspace_id IN (SELECT id FROM workspaces WHERE template_id = ${templateId})
        GROUP BY 1`);
      if (counts.length === 1 && counts[0]?.status === 'succeeded' && counts[0].jobs === JOBS)
        break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(counts).toHaveLength(1);
    expect(counts[0]).toMatchObject({ status: 'succeeded', jobs: JOBS });
    // Every daemon took part.
    expect(counts[0]?.workers).toBe(DAEMONS);

    expect(runs.size).toBe(JOBS);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);

    const agents = await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT count(*)::int AS n FROM workspace_agents a
      JOIN workspaces w ON w.id = a.workspace_id
      WHERE w.template_id = ${templateId} AND a.name = 'main' AND a.lifecycle_state = 'ready'`);
    expect(agents).toBe(JOBS);

    const text = await registry.metrics();
    expect(text).toContain(
      `coderd_provisioner_jobs_acquired_total{provisioner="echo",type="workspace_build"} ${JOBS}`,
    );
    expect(text).toContain(
      `coderd_provisioner_jobs_completed_total{provisioner="echo",type="workspace_build"} ${JOBS}`,
    );
    expect(text).toContain(
      `coderd_provisioner_job_wait_seconds_count{provisioner="echo",type="workspace_build"} ${JOBS}`,
    );
  });
});
