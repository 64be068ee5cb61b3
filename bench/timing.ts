/**
 * Timing of event-driven waits (issue 10, items 11 and 12): how late after the instant something
 * became due the controller acts, measured on real loops (real timers, the system clock, NOTIFY).
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/timing.ts
 *
 * 1. Backoff: a preset whose builds always fail, creation backoff base 5 s (waits 5, 10, 20 s),
 *    the default reconcile interval (15 s): lateness = next creation - (last failure + wait).
 * 2. Autostop: workspaces whose deadlines fall at random instants, the lifecycle loop at the
 *    default interval (1 min) and at 5 s: lateness = stop build - deadline.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';

import { sql } from 'slonik';
import { z } from 'zod';

import { Listener } from '../src/db/listener.js';
import { createDbPool } from '../src/db/pool.js';
import { DEFAULT_PREBUILD_OPTIONS } from '../src/domain/prebuilds/options.js';
import { LifecycleService } from '../src/lifecycle/service.js';
import { silentLogger } from '../src/log/logger.js';
import { PrebuildReconciler } from '../src/prebuilds/reconciler.js';
import { pushTemplate } from '../src/templates/push.js';
import { systemClock } from '../src/util/clock.js';
import { startTestDaemon } from '../test/jobs/helpers.js';
import {
  createTemplate,
  createTemplateVersion,
  createUser,
  createWorkspace,
  createBuild,
} from '../test/helpers/fixtures.js';
import { validConfig } from '../test/templates/helpers.js';
import { createBenchDatabase, dropBenchDatabase, startBenchServer } from './db.js';

const logger = silentLogger();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    n: sorted.length,
    min: sorted[0]!,
    median: at(0.5),
    p95: at(0.95),
    max: sorted[sorted.length - 1]!,
  };
};
const fmt = (s: ReturnType<typeof stats>) =>
  `n=${s.n} min ${s.min} ms, median ${s.median} ms, p95 ${s.p95} ms, max ${s.max} ms`;

async function backoff(url: string): Promise<number[]> {
  const pool = await createDbPool(url, { logger, maximumPoolSize: 10 });
  const listener = new Listener(url, logger);
  await listener.start();
  const daemon = await startTestDaemon({
    db: pool,
    url,
    echo: { failureRate: 1, durationMs: 200 },
  });
  const name = `backoff-${randomBytes(3).toString('hex')}`;
  await pushTemplate(
    pool,
    validConfig(
      `name: ${name}\nprovisioner: echo\npresets:\n  - name: p\n    parameters: { slot: '1' }\n    prebuilds:\n      instances: 1\n`,
    ),
  );
  const reconciler = new PrebuildReconciler({
    db: pool,
    logger,
    clock: systemClock,
    listener,
    intervalMs: 15_000,
    options: {
      ...DEFAULT_PREBUILD_OPTIONS,
      backoffBaseMs: 5_000,
      backoffCapMs: 60_000,
      failureHardLimit: 0,
    },
  });
  await reconciler.start();
  // Creations 1..4: failures 1..3 wait 5, 10, 20 s before the next creation.
  const Row = z.object({ created_at: z.date(), completed_at: z.date().nullable() });
  let rows: readonly z.infer<typeof Row>[] = [];
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    rows = await pool.any(sql.type(Row)`
      SELECT b.created_at, j.completed_at FROM workspace_builds b
      JOIN provisioner_jobs j ON j.id = b.job_id
      JOIN template_version_presets p ON p.id = b.template_version_preset_id
      JOIN template_versions v ON v.id = p.template_version_id
      JOIN templates t ON t.id = v.template_id
      WHERE t.name = ${name} AND b.transition = 'start'
      ORDER BY b.created_at`);
    if (rows.length >= 4) break;
    await sleep(200);
  }
  await reconciler.stop(new Date(Date.now() + 5_000));
  await daemon.stop();
  await listener.stop();
  await pool.end();
  const lateness: number[] = [];
  for (let i = 1; i < Math.min(rows.length, 4); i++) {
    const wait = 5_000 * 2 ** (i - 1);
    const due = rows[i - 1]!.completed_at!.getTime() + wait;
    lateness.push(rows[i]!.created_at.getTime() - due);
  }
  return lateness;
}

async function autostop(url: string, intervalMs: number, count: number): Promise<number[]> {
  const pool = await createDbPool(url, { logger, maximumPoolSize: 10 });
  await pool.query(sql.unsafe`UPDATE workspaces SET deleted = true`);
  const owner = await createUser(pool);
  const start = Date.now();
  const deadlines: { id: string; deadline: Date }[] = [];
  for (let i = 0; i < count; i++) {
    const templateId = await createTemplate(pool);
    const versionId = await createTemplateVersion(pool, { templateId });
    const id = await createWorkspace(pool, { ownerId: owner, templateId });
    // Spread over 25 s, at arbitrary milliseconds (mid-minute, mid-interval).
    const deadline = new Date(start + 5_000 + Math.floor(Math.random() * 25_000));
    await createBuild(pool, {
      workspaceId: id,
      versionId,
      initiatorId: owner,
      createdAt: new Date(start - 3_600_000),
      deadline,
    });
    deadlines.push({ id, deadline });
  }
  const service = new LifecycleService({
    pool,
    logger,
    clock: systemClock,
    intervalMs,
    activeWindowMs: 15 * 60_000,
    jobTimeoutMs: 5 * 60_000,
  });
  await service.start();
  const Row = z.object({ workspace_id: z.string(), created_at: z.date() });
  let stops: readonly z.infer<typeof Row>[] = [];
  const end = Date.now() + 5_000 + 25_000 + intervalMs + 10_000;
  while (Date.now() < end) {
    stops = await pool.any(sql.type(Row)`
      SELECT workspace_id, created_at FROM workspace_builds
      WHERE reason = 'autostop' AND workspace_id = ANY(${sql.array(
        deadlines.map((d) => d.id),
        'uuid',
      )})`);
    if (stops.length === count) break;
    await sleep(200);
  }
  await service.stop(new Date(Date.now() + 5_000));
  await pool.end();
  const byId = new Map(stops.map((s) => [s.workspace_id, s.created_at]));
  return deadlines
    .filter((d) => byId.has(d.id))
    .map((d) => byId.get(d.id)!.getTime() - d.deadline.getTime());
}

const server = await startBenchServer();
const name = `bench_timing_${randomBytes(3).toString('hex')}`;
try {
  const url = await createBenchDatabase(server.adminUrl, name);
  const load = () =>
    ` (load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`;
  const back = await backoff(url);
  console.log(`backoff lateness, waits 5/10/20 s, interval 15 s: ${back.join(' / ')} ms${load()}`);
  for (const interval of [60_000, 5_000]) {
    const late = await autostop(url, interval, 20);
    console.log(`autostop lateness, interval ${interval / 1000} s: ${fmt(stats(late))}${load()}`);
  }
} finally {
  await dropBenchDatabase(server.adminUrl, name);
  await server.stop();
}
