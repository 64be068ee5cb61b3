import { sql } from 'slonik';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

import {
  acquireLifecycleJobs,
  cancelStaleLifecycleJobs,
  completeLifecycleJob,
  deleteOldLifecycleJobs,
  failAbandonedLifecycleJobs,
  failLifecycleJob,
  insertLifecycleJobLog,
  insertLifecycleJobLogs,
  insertLifecycleJobs,
  lifecycleJobById,
  lifecycleJobLogs,
} from '../../src/lifecycle/queries.js';
import { useTestDatabase } from '../helpers/db.js';
import { lifecycleWorkspace } from './setup.js';

const db = useTestDatabase();
const NOW = new Date('2025-06-04T12:00:00Z');
const iso = (d: Date) => d.toISOString();

async function workspaces(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) ids.push((await lifecycleWorkspace(db.pool)).workspaceId);
  return ids;
}

type Decisions = Omit<Parameters<typeof insertLifecycleJobs.any>[1], 'build_ids' | 'open_job_ids'>;

/** InsertLifecycleJobs with each decision made from the workspace's current latest build. */
async function insertJobs(decisions: Decisions) {
  const buildIds: string[] = [];
  for (const id of decisions.workspace_ids) {
    buildIds.push(
      await db.pool.oneFirst(sql.type(z.object({ id: z.string() }))`
        SELECT id FROM workspace_builds WHERE workspace_id = ${id}
        ORDER BY build_number DESC LIMIT 1`),
    );
  }
  return insertLifecycleJobs.any(db.pool, {
    ...decisions,
    build_ids: buildIds,
    open_job_ids: decisions.workspace_ids.map(() => null),
  });
}

async function clearJobs() {
  await db.pool.query(sql.unsafe`DELETE FROM workspace_lifecycle_job`);
}

describe('lifecycle jobs', () => {
  it('inserts a tick of decisions in one statement; an open job per workspace is kept', async () => {
    await clearJobs();
    const [a, b] = await workspaces(2);
    const first = await insertJobs({
      now: NOW,
      workspace_ids: [a!, b!],
      operations: ['stop', 'start'],
      reasons: ['autostop', 'autostart'],
      deadlines: [iso(NOW), '2025-06-04T11:59:00Z'],
    });
    expect(first.map((j) => [j.workspace_id, j.operation, j.reason, iso(j.deadline)])).toEqual([
      [a, 'stop', 'autostop', '2025-06-04T12:00:00.000Z'],
      [b, 'start', 'autostart', '2025-06-04T11:59:00.000Z'],
    ]);
    // The next tick decides the same again: nothing new is inserted.
    const again = await insertJobs({
      now: NOW,
      workspace_ids: [a!, b!],
      operations: ['stop', 'start'],
      reasons: ['autostop', 'autostart'],
      deadlines: [iso(NOW), iso(NOW)],
    });
    expect(again).toEqual([]);
  });

  it('cancels pending jobs whose reason disappeared, keeps the others and started ones', async () => {
    await clearJobs();
    const [keep, gone, changed, started] = await workspaces(4);
    await insertJobs({
      now: NOW,
      workspace_ids: [keep!, gone!, changed!, started!],
      operations: ['stop', 'start', 'stop', 'delete'],
      reasons: ['autostop', 'autostart', 'autostop', 'autodelete'],
      deadlines: [iso(NOW), iso(NOW), iso(NOW), iso(NOW)],
    });
    // An executor already started `started`'s job.
    await db.pool.query(sql.unsafe`
      UPDATE workspace_lifecycle_job SET started_at = ${iso(NOW)} WHERE workspace_id = ${started!}`);
    // This tick: `keep` is still due, `changed` now wants a dormancy stop, `gone` nothing.
    const canceled = await cancelStaleLifecycleJobs.any(db.pool, {
      now: NOW,
      workspace_ids: [keep!, changed!],
      operations: ['stop', 'stop'],
      reasons: ['autostop', 'dormancy'],
    });
    expect(canceled.map((j) => j.workspace_id).sort()).toEqual([gone!, changed!].sort());
    const inserted = await insertJobs({
      now: NOW,
      workspace_ids: [keep!, changed!],
      operations: ['stop', 'stop'],
      reasons: ['autostop', 'dormancy'],
      deadlines: [iso(NOW), iso(NOW)],
    });
    expect(inserted.map((j) => [j.workspace_id, j.reason])).toEqual([[changed, 'dormancy']]);
    const stillStarted = await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT count(*)::int AS n FROM workspace_lifecycle_job
      WHERE workspace_id = ${started!} AND cancelled_at IS NULL`);
    expect(stillStarted).toBe(1);
  });

  it('cancels everything pending when nothing is due', async () => {
    await clearJobs();
    const [a] = await workspaces(1);
    await insertJobs({
      now: NOW,
      workspace_ids: [a!],
      operations: ['start'],
      reasons: ['autostart'],
      deadlines: [iso(NOW)],
    });
    const canceled = await cancelStaleLifecycleJobs.any(db.pool, {
      now: NOW,
      workspace_ids: [],
      operations: [],
      reasons: [],
    });
    expect(canceled).toHaveLength(1);
    const job = await lifecycleJobById.one(db.pool, { id: canceled[0]!.id });
    expect(job).toMatchObject({ outcome: 'canceled: no longer due', started_at: null });
    expect(job.cancelled_at?.toISOString()).toBe(iso(NOW));
  });

  it('acquires only due jobs, oldest deadline first, and marks them started', async () => {
    await clearJobs();
    const [early, late, future] = await workspaces(3);
    await insertJobs({
      now: NOW,
      workspace_ids: [late!, early!, future!],
      operations: ['stop', 'stop', 'stop'],
      reasons: ['autostop', 'autostop', 'autostop'],
      deadlines: [iso(NOW), '2025-06-04T11:00:00Z', '2025-06-04T12:00:01Z'],
    });
    const first = await acquireLifecycleJobs.any(db.pool, { now: NOW, limit: 1 });
    expect(first.map((j) => j.workspace_id)).toEqual([early]);
    const rest = await acquireLifecycleJobs.any(db.pool, { now: NOW, limit: 10 });
    expect(rest.map((j) => j.workspace_id)).toEqual([late]);
    expect([...first, ...rest].every((j) => iso(j.started_at) === iso(NOW))).toBe(true);
    expect(await acquireLifecycleJobs.any(db.pool, { now: NOW, limit: 10 })).toEqual([]);
  });

  it('two executors never acquire the same job (SKIP LOCKED)', async () => {
    await clearJobs();
    const ids = await workspaces(6);
    await insertJobs({
      now: NOW,
      workspace_ids: ids,
      operations: ids.map(() => 'stop'),
      reasons: ids.map(() => 'autostop'),
      deadlines: ids.map(() => iso(NOW)),
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first: readonly { id: string }[] = [];
    // Executor A takes two jobs and keeps its transaction (and row locks) open...
    const a = db.pool.transaction(async (tx) => {
      first = await acquireLifecycleJobs.any(tx, { now: NOW, limit: 2 });
      await held;
    });
    await expect.poll(() => first.length).toBe(2);
    // ...while executor B takes the rest without waiting for A and without A's rows.
    const second = await acquireLifecycleJobs.any(db.pool, { now: NOW, limit: 10 });
    release();
    await a;
    expect(second).toHaveLength(4);
    const all = [...first, ...second].map((j) => j.id);
    expect(new Set(all).size).toBe(6);
  });

  it('completes with the build, or records the error; either reopens the workspace slot', async () => {
    await clearJobs();
    const fixture = await lifecycleWorkspace(db.pool);
    const [ws, other] = [fixture.workspaceId, (await lifecycleWorkspace(db.pool)).workspaceId];
    const [job] = await insertJobs({
      now: NOW,
      workspace_ids: [ws],
      operations: ['stop'],
      reasons: ['autostop'],
      deadlines: [iso(NOW)],
    });
    await acquireLifecycleJobs.any(db.pool, { now: NOW, limit: 5 });
    expect(
      await completeLifecycleJob.maybeOne(db.pool, {
        id: job!.id,
        now: NOW,
        build_id: fixture.buildId,
        outcome: 'build created',
      }),
    ).not.toBeNull();
    expect(await lifecycleJobById.one(db.pool, { id: job!.id })).toMatchObject({
      build_id: fixture.buildId,
      outcome: 'build created',
      error: null,
    });
    // Completing twice does nothing.
    expect(
      await completeLifecycleJob.maybeOne(db.pool, {
        id: job!.id,
        now: NOW,
        build_id: null,
        outcome: 'x',
      }),
    ).toBeNull();

    const [failing] = await insertJobs({
      now: NOW,
      workspace_ids: [ws, other],
      operations: ['stop', 'stop'],
      reasons: ['dormancy', 'dormancy'],
      deadlines: [iso(NOW), iso(NOW)],
    });
    expect(failing?.workspace_id).toBe(ws); // the slot was free again
    await failLifecycleJob.one(db.pool, { id: failing!.id, now: NOW, error: 'no provisioner' });
    expect(await lifecycleJobById.one(db.pool, { id: failing!.id })).toMatchObject({
      error: 'no provisioner',
      outcome: 'error',
    });
  });

  it('fails jobs whose executor died, so the workspace is not blocked forever', async () => {
    await clearJobs();
    const [ws] = await workspaces(1);
    await insertJobs({
      now: NOW,
      workspace_ids: [ws!],
      operations: ['start'],
      reasons: ['autostart'],
      deadlines: [iso(NOW)],
    });
    await acquireLifecycleJobs.any(db.pool, { now: NOW, limit: 1 });
    expect(
      await failAbandonedLifecycleJobs.any(db.pool, {
        now: new Date('2025-06-04T12:05:00Z'),
        started_before: NOW,
      }),
    ).toEqual([]);
    const failed = await failAbandonedLifecycleJobs.any(db.pool, {
      now: new Date('2025-06-04T12:15:00Z'),
      started_before: new Date('2025-06-04T12:05:00Z'),
    });
    expect(failed.map((j) => j.workspace_id)).toEqual([ws]);
    const job = await lifecycleJobById.one(db.pool, { id: failed[0]!.id });
    expect(job.error).toContain('abandoned');
  });

  it('keeps job logs in order, each line at most 1024 characters', async () => {
    await clearJobs();
    const [ws] = await workspaces(1);
    const [job] = await insertJobs({
      now: NOW,
      workspace_ids: [ws!],
      operations: ['stop'],
      reasons: ['autostop'],
      deadlines: [iso(NOW)],
    });
    await insertLifecycleJobLog.one(db.pool, {
      job_id: job!.id,
      now: NOW,
      level: 'info',
      output: 'acquired',
    });
    await insertLifecycleJobLogs.exec(db.pool, {
      now: new Date('2025-06-04T12:00:01Z'),
      job_ids: [job!.id, job!.id],
      levels: ['warn', 'error'],
      outputs: ['x'.repeat(5000), 'build failed'],
    });
    const logs = await lifecycleJobLogs.any(db.pool, { job_id: job!.id });
    expect(logs.map((l) => [l.level, l.output.length])).toEqual([
      ['info', 8],
      ['warn', 1024],
      ['error', 12],
    ]);
  });
});

describe('lifecycle job retention', () => {
  it('deletes finished jobs (and their logs) older than the retention, in bounded batches', async () => {
    await clearJobs();
    const [old, cancelled, recent, open] = await workspaces(4);
    const at = (hoursAgo: number) => iso(new Date(NOW.getTime() - hoursAgo * 3_600_000));
    const jobs = await insertJobs({
      now: NOW,
      workspace_ids: [old!, cancelled!, recent!, open!],
      operations: ['stop', 'stop', 'stop', 'start'],
      reasons: ['autostop', 'autostop', 'autostop', 'autostart'],
      deadlines: [iso(NOW), iso(NOW), iso(NOW), iso(NOW)],
    });
    const id = (workspace: string | undefined) =>
      jobs.find((j) => j.workspace_id === workspace)!.id;
    await db.pool.query(sql.unsafe`
      UPDATE workspace_lifecycle_job SET completed_at = ${at(48)} WHERE id = ${id(old)}`);
    await db.pool.query(sql.unsafe`
      UPDATE workspace_lifecycle_job SET cancelled_at = ${at(30)} WHERE id = ${id(cancelled)}`);
    await db.pool.query(sql.unsafe`
      UPDATE workspace_lifecycle_job SET completed_at = ${at(1)} WHERE id = ${id(recent)}`);
    await insertLifecycleJobLog.one(db.pool, {
      job_id: id(old),
      now: NOW,
      level: 'info',
      output: 'stopped',
    });
    const before = new Date(NOW.getTime() - 24 * 3_600_000);
    const first = await deleteOldLifecycleJobs.any(db.pool, { before, max_rows: 1 });
    const second = await deleteOldLifecycleJobs.any(db.pool, { before, max_rows: 10 });
    expect(first).toHaveLength(1);
    expect([...first, ...second].map((j) => j.id).sort()).toEqual([id(old), id(cancelled)].sort());
    const left = await db.pool.anyFirst(
      sql.type(z.object({ id: z.string() }))`SELECT id FROM workspace_lifecycle_job ORDER BY id`,
    );
    expect([...left].sort()).toEqual([id(recent), id(open)].sort());
    expect(await lifecycleJobLogs.any(db.pool, { job_id: id(old) })).toEqual([]);
  });
});
