import { randomUUID } from 'node:crypto';

import { sql } from 'slonik';
import { z } from 'zod';

import type { Db } from '../../src/db/sql-files.js';
import { finishJob } from '../../src/jobs/complete.js';
import { lifecycleMetrics } from '../../src/lifecycle/metrics.js';
import { LifecycleService, type LifecycleServiceOptions } from '../../src/lifecycle/service.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { FakeClock } from '../helpers/clock.js';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const at = (iso: string) => new Date(iso);
export const plus = (base: Date, ms: number) => new Date(base.getTime() + ms);

/** A lifecycle service on the test database with a fake clock; ticks are driven by the test. */
export function testService(
  db: Db,
  options: Partial<LifecycleServiceOptions> & { start?: Date } = {},
): { service: LifecycleService; clock: FakeClock } {
  const clock = new FakeClock(options.start ?? '2025-06-02T00:00:00Z');
  const registry = createRegistry();
  const service = new LifecycleService({
    pool: db as LifecycleServiceOptions['pool'],
    logger: silentLogger(),
    clock,
    metrics: lifecycleMetrics(registry),
    intervalMs: MIN,
    activeWindowMs: 15 * MIN,
    jobTimeoutMs: 5 * MIN,
    ...options,
  });
  return { service, clock };
}

/**
 * Test isolation inside one database: every workspace of earlier tests is marked deleted (the
 * lifecycle ignores deleted workspaces) and their open lifecycle jobs are canceled.
 */
export async function isolate(db: Db): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE workspace_lifecycle_job SET cancelled_at = now()
    WHERE completed_at IS NULL AND cancelled_at IS NULL`);
  await db.query(sql.unsafe`UPDATE workspaces SET deleted = true WHERE NOT deleted`);
}

/**
 * Finishes a build's job the way a daemon does (finishJob: deadline, next start, deleted flag,
 * notifications), as if a worker had taken it.
 */
export async function finishBuild(
  db: Db,
  jobId: string,
  now: Date,
  outcome: 'succeeded' | 'failed' = 'succeeded',
): Promise<void> {
  const worker = randomUUID();
  await db.query(sql.unsafe`
    UPDATE provisioner_jobs
    SET started_at = COALESCE(started_at, ${now.toISOString()}), worker_id = ${worker}
    WHERE id = ${jobId} AND completed_at IS NULL`);
  const finished = await finishJob(db, {
    jobId,
    workerId: worker,
    now,
    outcome:
      outcome === 'succeeded'
        ? { kind: 'succeeded', agents: [] }
        : { kind: 'failed', error: 'terraform apply failed', errorCode: 'provisioner_failed' },
  });
  if (!finished) throw new Error(`job ${jobId} could not be finished`);
}

const Build = z.object({
  id: z.string(),
  build_number: z.number(),
  transition: z.string(),
  reason: z.string(),
  initiator_id: z.string(),
  template_version_id: z.string(),
  job_id: z.string(),
  job_status: z.string(),
  created_at: z.date(),
  deadline: z.date().nullable(),
  max_deadline: z.date().nullable(),
});

export async function buildsOf(db: Db, workspaceId: string) {
  return db.any(sql.type(Build)`
    SELECT b.id, b.build_number, b.transition::text, b.reason::text, b.initiator_id,
      b.template_version_id, b.job_id, j.job_status::text, b.created_at, b.deadline,
      b.max_deadline
    FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id
    WHERE b.workspace_id = ${workspaceId}
    ORDER BY b.build_number`);
}

export async function latestBuild(db: Db, workspaceId: string) {
  const builds = await buildsOf(db, workspaceId);
  const latest = builds[builds.length - 1];
  if (!latest) throw new Error(`workspace ${workspaceId} has no build`);
  return latest;
}

const Workspace = z.object({
  next_start_at: z.date().nullable(),
  dormant_at: z.date().nullable(),
  deleting_at: z.date().nullable(),
  deleted: z.boolean(),
});

export async function workspaceRow(db: Db, workspaceId: string) {
  return db.one(sql.type(Workspace)`
    SELECT next_start_at, dormant_at, deleting_at, deleted FROM workspaces
    WHERE id = ${workspaceId}`);
}

const Message = z.object({
  template: z.string(),
  user_id: z.string().nullable(),
  payload: z.record(z.unknown()),
});

/** Notification messages about a workspace, oldest first. */
export async function messagesAbout(db: Db, workspaceId: string, template?: string) {
  const rows = await db.any(sql.type(Message)`
    SELECT template, user_id, payload FROM notification_messages
    WHERE payload->>'workspace_id' = ${workspaceId}
    ORDER BY created_at, id`);
  return template ? rows.filter((row) => row.template === template) : rows;
}

const Job = z.object({
  id: z.string(),
  operation: z.string(),
  reason: z.string(),
  started_at: z.date().nullable(),
  completed_at: z.date().nullable(),
  cancelled_at: z.date().nullable(),
  error: z.string().nullable(),
  outcome: z.string().nullable(),
  build_id: z.string().nullable(),
});

export async function lifecycleJobsOf(db: Db, workspaceId: string) {
  return db.any(sql.type(Job)`
    SELECT id, operation::text, reason::text, started_at, completed_at, cancelled_at, error,
      outcome, build_id
    FROM workspace_lifecycle_job WHERE workspace_id = ${workspaceId}
    ORDER BY created_at, id`);
}
