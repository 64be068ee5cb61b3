import { sql } from 'slonik';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { scheduleTick } from '../../src/lifecycle/scheduler.js';
import { silentLogger } from '../../src/log/logger.js';

import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import {
  at,
  buildsOf,
  finishBuild,
  HOUR,
  isolate,
  latestBuild,
  lifecycleJobsOf,
  MIN,
  testService,
} from './harness.js';
import { lifecycleWorkspace } from './setup.js';

const db = useTestDatabase();
beforeEach(() => isolate(db.pool));

const BUILT = at('2025-06-04T04:00:00Z');

/** A running workspace started at 04:00 with the given deadline / max deadline. */
function running(
  build: { deadline?: Date; maxDeadline?: Date } = {},
  options: Parameters<typeof lifecycleWorkspace>[1] = {},
) {
  return lifecycleWorkspace(db.pool, {
    ...options,
    workspace: { lastUsedAt: BUILT, ...options.workspace },
    build: { createdAt: BUILT, completedAt: BUILT, ...build, ...options.build },
  });
}

describe('autostop through the executor', () => {
  it('stops at the deadline, not a minute early', async () => {
    const f = await running({ deadline: at('2025-06-04T12:00:00Z') });
    const { service } = testService(db.pool);
    expect((await service.tick(at('2025-06-04T11:59:59Z'))).transitions.has(f.workspaceId)).toBe(
      false,
    );
    const due = await service.tick(at('2025-06-04T12:00:00Z'));
    expect(due.transitions.get(f.workspaceId)).toBe('stop (autostop)');
    expect(await latestBuild(db.pool, f.workspaceId)).toMatchObject({
      build_number: 2,
      transition: 'stop',
      reason: 'autostop',
      initiator_id: f.ownerId,
    });
  });

  it('stops a deadline between minutes on the first tick at or after it (no minute truncation)', async () => {
    const f = await running({ deadline: at('2025-06-04T12:00:30Z') });
    const { service } = testService(db.pool);
    expect((await service.tick(at('2025-06-04T12:00:29.999Z'))).transitions.size).toBe(0);
    // Before, 12:00:45 truncated to 12:00:00 and the stop waited for the 12:01 tick.
    expect((await service.tick(at('2025-06-04T12:00:30Z'))).transitions.get(f.workspaceId)).toBe(
      'stop (autostop)',
    );
  });

  it('stops at max_deadline when there is no deadline', async () => {
    const f = await running({ maxDeadline: at('2025-06-05T00:00:00Z') });
    const { service } = testService(db.pool);
    expect((await service.tick(at('2025-06-04T23:59:00Z'))).transitions.size).toBe(0);
    expect((await service.tick(at('2025-06-05T00:00:00Z'))).transitions.get(f.workspaceId)).toBe(
      'stop (autostop)',
    );
  });

  it("stops a suspended owner's workspace on the next tick, whatever its deadline", async () => {
    const ownerId = await createUser(db.pool, { status: 'suspended' });
    const f = await running({ deadline: at('2025-06-10T00:00:00Z') }, { ownerId });
    const { service } = testService(db.pool);
    const stats = await service.tick(at('2025-06-04T04:05:00Z'));
    expect(stats.transitions.get(f.workspaceId)).toBe('stop (autostop)');
  });

  it('never stops a workspace without deadline and max deadline', async () => {
    const f = await running();
    const { service } = testService(db.pool);
    for (const tick of ['2025-06-04T12:00:00Z', '2025-07-01T00:00:00Z', '2026-06-04T00:00:00Z']) {
      expect((await service.tick(at(tick))).transitions.has(f.workspaceId)).toBe(false);
    }
    expect(await buildsOf(db.pool, f.workspaceId)).toHaveLength(1);
  });

  it('does nothing while a build is running, and stops once it has finished', async () => {
    const f = await running(
      { deadline: at('2025-06-04T12:00:00Z') },
      { build: { jobState: 'running' } },
    );
    const { service } = testService(db.pool);
    expect((await service.tick(at('2025-06-04T12:00:00Z'))).transitions.size).toBe(0);
    await finishBuild(db.pool, f.jobId, at('2025-06-04T12:00:30Z'));
    // Its completion set a new deadline (no TTL, no requirement: none), so nothing is due now.
    expect((await service.tick(at('2025-06-04T12:01:00Z'))).transitions.size).toBe(0);
  });

  it('stops a failed build once failure_ttl has passed (reason failedstop)', async () => {
    const f = await lifecycleWorkspace(db.pool, {
      template: { failureTtlMs: HOUR },
      build: { jobState: 'failed', createdAt: BUILT, completedAt: BUILT },
    });
    const { service } = testService(db.pool);
    expect((await service.tick(at('2025-06-04T05:00:00Z'))).transitions.size).toBe(0);
    const due = await service.tick(at('2025-06-04T05:01:00Z'));
    expect(due.transitions.get(f.workspaceId)).toBe('stop (failedstop)');
    expect((await latestBuild(db.pool, f.workspaceId)).reason).toBe('failedstop');
  });

  it('logs every step of a lifecycle job and records its outcome and build', async () => {
    const f = await running({ deadline: at('2025-06-04T12:00:00Z') });
    const { service } = testService(db.pool);
    await service.tick(at('2025-06-04T12:00:00Z'));
    const [job] = await lifecycleJobsOf(db.pool, f.workspaceId);
    const build = await latestBuild(db.pool, f.workspaceId);
    expect(job).toMatchObject({
      operation: 'stop',
      reason: 'autostop',
      error: null,
      build_id: build.id,
      outcome: `built: #2 stop (autostop), job ${build.job_id}`,
    });
    const logs = await db.pool.any(sql.type(z.object({ level: z.string(), output: z.string() }))`
      SELECT level::text, output::text FROM workspace_lifecycle_job_logs
      WHERE job_id = ${job!.id} ORDER BY created_at, id`);
    expect(logs.map((l) => l.output)).toEqual([
      'scheduled: stop (autostop), due since 2025-06-04T12:00:00.000Z',
      expect.stringMatching(/^started by executor lifecycle-/),
      `built: #2 stop (autostop), job ${build.job_id}`,
    ]);
  });

  it('cancels a pending job whose reason disappeared (deadline extended before it ran)', async () => {
    const f = await running({ deadline: at('2025-06-04T12:00:00Z') });
    const deps = { pool: db.pool, logger: silentLogger(), activeWindowMs: 15 * MIN };
    const first = await scheduleTick(deps, at('2025-06-04T12:00:00Z'));
    expect(first.created.map((j) => j.workspaceId)).toContain(f.workspaceId);
    await db.pool.query(
      sql.unsafe`
        UPDATE workspace_builds SET deadline = '2025-06-04T14:00:00Z' WHERE id = ${f.buildId}`,
    );
    const second = await scheduleTick(deps, at('2025-06-04T12:01:00Z'));
    expect(second.canceled.get(f.workspaceId)).toBe('stop');
    const [job] = await lifecycleJobsOf(db.pool, f.workspaceId);
    expect(job).toMatchObject({ started_at: null, outcome: 'canceled: no longer due' });
    expect(job!.cancelled_at).not.toBeNull();
  });
});
