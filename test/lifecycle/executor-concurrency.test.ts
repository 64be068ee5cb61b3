import { sql } from 'slonik';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import { withTransaction } from '../../src/db/tx.js';
import { enqueueWorkspaceBuild } from '../../src/jobs/enqueue.js';
import { LifecycleExecutor } from '../../src/lifecycle/executor.js';
import { LOCKS, tryAdvisoryXactLock } from '../../src/db/locks.js';
import { acquireLifecycleJobs, completeLifecycleJob } from '../../src/lifecycle/queries.js';
import { readTick, scheduleTick, writeTick } from '../../src/lifecycle/scheduler.js';
import { silentLogger } from '../../src/log/logger.js';
import { useTestDatabase } from '../helpers/db.js';
import { at, buildsOf, isolate, lifecycleJobsOf, MIN, plus, testService } from './harness.js';
import { lifecycleWorkspace } from './setup.js';

const db = useTestDatabase();
beforeEach(() => isolate(db.pool));

const DEADLINE = at('2025-06-04T12:00:00Z');
const schedulerDeps = () => ({ pool: db.pool, logger: silentLogger(), activeWindowMs: 15 * MIN });

async function dueWorkspaces(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const f = await lifecycleWorkspace(db.pool, {
      build: { createdAt: plus(DEADLINE, -8 * 60 * MIN), deadline: DEADLINE },
    });
    ids.push(f.workspaceId);
  }
  return ids;
}

describe('lifecycle executors on several replicas', () => {
  it('two executors at once create each transition once', async () => {
    const ids = await dueWorkspaces(12);
    await scheduleTick(schedulerDeps(), DEADLINE);
    const a = new LifecycleExecutor({ pool: db.pool, logger: silentLogger(), batchSize: 2 });
    const b = new LifecycleExecutor({ pool: db.pool, logger: silentLogger(), batchSize: 2 });
    const [ranA, ranB] = await Promise.all([a.runDue(DEADLINE), b.runDue(DEADLINE)]);
    const built = [...ranA, ...ranB].filter((e) => e.outcome === 'built');
    expect(built.map((e) => e.workspaceId).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      expect((await buildsOf(db.pool, id)).map((b) => b.reason)).toEqual(['initiator', 'autostop']);
    }
  });

  it('two whole ticks at once (scheduler and executor on both) create each transition once', async () => {
    const ids = await dueWorkspaces(8);
    const one = testService(db.pool).service;
    const two = testService(db.pool).service;
    const [s1, s2] = await Promise.all([one.tick(DEADLINE), two.tick(DEADLINE)]);
    // Whichever replica scheduled (the scheduler lock lets one at a time), between them every
    // workspace was stopped once.
    expect(s1.scheduled || s2.scheduled).toBe(true);
    expect(new Set([...s1.transitions.keys(), ...s2.transitions.keys()])).toEqual(new Set(ids));
    for (const id of ids) expect(await buildsOf(db.pool, id)).toHaveLength(2);
    // A second round finds nothing to do.
    const [r1, r2] = await Promise.all([
      one.tick(plus(DEADLINE, MIN)),
      two.tick(plus(DEADLINE, MIN)),
    ]);
    expect(r1.transitions.size + r2.transitions.size).toBe(0);
  });

  it('one decision, one job: a scheduler reading before another replica acted adds none', async () => {
    const ids = await dueWorkspaces(3);
    // Replica A scheduled the autostops. Replica B's scheduler reads the same state (the jobs
    // open, the workspaces still running); before it writes, A's executor stops them.
    await scheduleTick(schedulerDeps(), DEADLINE);
    const a = new LifecycleExecutor({ pool: db.pool, logger: silentLogger() });
    const tick = plus(DEADLINE, 5_000);
    const wrote = await withTransaction(db.pool, {}, async (tx) => {
      expect(await tryAdvisoryXactLock(tx, LOCKS.lifecycleScheduler)).toBe(true);
      const read = await readTick(tx, { activeWindowMs: 15 * MIN }, tick);
      expect(read.plan.jobs.map((job) => job.workspaceId).sort()).toEqual([...ids].sort());
      const ran = await a.runDue(tick);
      expect(ran.map((e) => e.outcome)).toEqual(['built', 'built', 'built']);
      return writeTick(tx, read, tick);
    });
    expect(wrote.inserted).toEqual([]);
    for (const id of ids) {
      const jobs = await lifecycleJobsOf(db.pool, id);
      expect(jobs.map((job) => job.outcome)).toEqual([expect.stringMatching(/^built: #2 stop/)]);
    }
  });

  it('one decision, one job: an executor completing during the insert waits, then no second job', async () => {
    const [id] = await dueWorkspaces(1);
    await scheduleTick(schedulerDeps(), DEADLINE);
    const [job] = await acquireLifecycleJobs.any(db.pool, { now: DEADLINE, limit: 10 });
    // A's executor has carried the job out but not committed yet when B's insert runs.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let performed!: () => void;
    const performedSignal = new Promise<void>((resolve) => (performed = resolve));
    const executing = withTransaction(db.pool, {}, async (tx) => {
      await enqueueWorkspaceBuild(tx, {
        workspaceId: id!,
        transition: 'stop',
        reason: 'autostop',
        initiatorId: (await buildsOf(tx, id!))[0]!.initiator_id,
        now: DEADLINE,
      });
      await completeLifecycleJob.exec(tx, {
        id: job!.id,
        now: DEADLINE,
        build_id: null,
        outcome: 'built',
      });
      performed();
      await released;
    });
    await performedSignal;
    const tick = plus(DEADLINE, 5_000);
    const scheduling = withTransaction(db.pool, {}, async (tx) => {
      expect(await tryAdvisoryXactLock(tx, LOCKS.lifecycleScheduler)).toBe(true);
      return writeTick(tx, await readTick(tx, { activeWindowMs: 15 * MIN }, tick), tick);
    });
    await vi.waitFor(
      async () => {
        const waiting = await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (waiting === 0) throw new Error('the scheduler is not blocked yet');
      },
      { timeout: 5_000, interval: 20 },
    );
    release();
    await executing;
    expect((await scheduling).inserted).toEqual([]);
    expect(await lifecycleJobsOf(db.pool, id!)).toHaveLength(1);
  });

  it('treats a build inserted concurrently by another replica as a benign skip', async () => {
    const [id] = await dueWorkspaces(1);
    await scheduleTick(schedulerDeps(), DEADLINE);
    const [job] = await acquireLifecycleJobs.any(db.pool, { now: DEADLINE, limit: 10 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
    // Another replica's build, not yet committed, without the workspace lock (as an old replica
    // or a race on the lock's snapshot would): the executor's insert of the same build number
    // waits for it and then loses on the unique key.
    const other = withTransaction(db.pool, {}, async (tx) => {
      await enqueueWorkspaceBuild(tx, {
        workspaceId: id!,
        transition: 'stop',
        reason: 'initiator',
        initiatorId: (await buildsOf(tx, id!))[0]!.initiator_id,
        now: DEADLINE,
      });
      inserted();
      await released;
    });
    await insertedSignal;
    const executor = new LifecycleExecutor({ pool: db.pool, logger: silentLogger() });
    const running = executor.execute(job!, DEADLINE, DEADLINE);
    await vi.waitFor(
      async () => {
        const waiting = await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (waiting === 0) throw new Error('the executor is not blocked yet');
      },
      { timeout: 5_000, interval: 20 },
    );
    release();
    await other;
    expect(await running).toMatchObject({
      outcome: 'skipped',
      detail: 'skipped: a concurrent build was created for the workspace',
    });
    expect((await buildsOf(db.pool, id!)).map((b) => b.reason)).toEqual(['initiator', 'initiator']);
    const [row] = await lifecycleJobsOf(db.pool, id!);
    expect(row).toMatchObject({ error: null, build_id: null });
    expect(row!.completed_at).not.toBeNull();
  });

  it('skips a job when a manual build started after it was scheduled', async () => {
    const [id] = await dueWorkspaces(1);
    await scheduleTick(schedulerDeps(), DEADLINE);
    await withTransaction(db.pool, {}, async (tx) =>
      enqueueWorkspaceBuild(tx, {
        workspaceId: id!,
        transition: 'stop',
        reason: 'initiator',
        initiatorId: (await buildsOf(tx, id!))[0]!.initiator_id,
        now: DEADLINE,
      }),
    );
    const executor = new LifecycleExecutor({ pool: db.pool, logger: silentLogger() });
    const [execution] = await executor.runDue(DEADLINE);
    expect(execution).toMatchObject({
      workspaceId: id,
      outcome: 'skipped',
      detail: 'skipped: build #2 (stop) is pending',
    });
  });

  it('fails a job whose executor died, and the next tick decides again', async () => {
    const [id] = await dueWorkspaces(1);
    await scheduleTick(schedulerDeps(), DEADLINE);
    // An executor took the job and died before finishing it.
    expect(await acquireLifecycleJobs.any(db.pool, { now: DEADLINE, limit: 10 })).toHaveLength(1);
    const { service } = testService(db.pool);
    const stuck = await service.tick(plus(DEADLINE, 2 * MIN));
    expect(stuck.transitions.size).toBe(0);
    expect(stuck.abandoned).toBe(0);
    const recovered = await service.tick(plus(DEADLINE, 6 * MIN));
    expect(recovered.abandoned).toBe(1);
    const [dead] = await lifecycleJobsOf(db.pool, id!);
    expect(dead).toMatchObject({
      outcome: 'error',
      error: 'abandoned: the executor stopped before finishing the job',
    });
    const next = await service.tick(plus(DEADLINE, 7 * MIN));
    expect(next.transitions.get(id!)).toBe('stop (autostop)');
  });
});
