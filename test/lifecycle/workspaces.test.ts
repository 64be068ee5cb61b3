import { sql } from 'slonik';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

import {
  applyActivityBump,
  clearWorkspaceDormant,
  extendWorkspaceDeadline,
  lifecycleStateByWorkspace,
  markWorkspaceDormant,
  resetRunningDeadline,
  setWorkspaceAutostart,
  setWorkspacesNextStartAt,
  setWorkspaceTtl,
  touchWorkspaceLastUsed,
} from '../../src/lifecycle/queries.js';
import { useTestDatabase } from '../helpers/db.js';
import { createBuild, SYSTEM_USER_ID } from '../helpers/fixtures.js';
import { lifecycleWorkspace } from './setup.js';

const db = useTestDatabase();
const NOW = new Date('2025-06-04T12:00:00Z');
const at = (iso: string) => new Date(iso);
const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

const Cache = z.object({ autostop_at: z.date().nullable(), failed_build_at: z.date().nullable() });
const cache = async (workspaceId: string) => {
  const row = await db.pool.one(sql.type(Cache)`
    SELECT autostop_at, failed_build_at FROM workspaces WHERE id = ${workspaceId}`);
  return { autostop_at: iso(row.autostop_at), failed_build_at: iso(row.failed_build_at) };
};

describe('schedule updates', () => {
  it('sets and removes the autostart schedule with its next start', async () => {
    const { workspaceId } = await lifecycleWorkspace(db.pool);
    const set = await setWorkspaceAutostart.one(db.pool, {
      workspace_id: workspaceId,
      schedule: 'CRON_TZ=UTC 0 9 * * 1-5',
      next_start_at: at('2025-06-05T09:00:00Z'),
      now: NOW,
    });
    expect(set).toMatchObject({ autostart_schedule: 'CRON_TZ=UTC 0 9 * * 1-5' });
    expect(iso(set.next_start_at)).toBe('2025-06-05T09:00:00.000Z');
    const removed = await setWorkspaceAutostart.one(db.pool, {
      workspace_id: workspaceId,
      schedule: null,
      next_start_at: null,
      now: NOW,
    });
    expect(removed).toMatchObject({ autostart_schedule: null, next_start_at: null });
  });

  it('refreshes cached next starts in one statement', async () => {
    const a = await lifecycleWorkspace(db.pool, { workspace: { autostartSchedule: '0 9 * * *' } });
    const b = await lifecycleWorkspace(db.pool, { workspace: { autostartSchedule: '0 9 * * *' } });
    const rows = await setWorkspacesNextStartAt.any(db.pool, {
      workspace_ids: [a.workspaceId, b.workspaceId],
      next_start_ats: ['2025-06-05T09:00:00Z', null],
    });
    expect(rows.map((r) => [r.id, iso(r.next_start_at)]).sort()).toEqual(
      [
        [a.workspaceId, '2025-06-05T09:00:00.000Z'],
        // b had no cached value and keeps none: nothing to write.
      ].sort(),
    );
  });

  it('sets a TTL; removing it leaves the running build to its max_deadline', async () => {
    const { workspaceId, buildId } = await lifecycleWorkspace(db.pool, {
      workspace: { ttlMs: 8 * 3_600_000 },
      build: { deadline: at('2025-06-04T18:00:00Z'), maxDeadline: at('2025-06-05T00:00:00Z') },
    });
    expect(
      await setWorkspaceTtl.one(db.pool, { workspace_id: workspaceId, ttl_ms: null, now: NOW }),
    ).toEqual({
      id: workspaceId,
      ttl: null,
    });
    const reset = await resetRunningDeadline.one(db.pool, { workspace_id: workspaceId, now: NOW });
    expect(reset).toMatchObject({ id: buildId });
    expect(iso(reset.deadline)).toBe('2025-06-05T00:00:00.000Z');
    expect((await cache(workspaceId)).autostop_at).toBe('2025-06-05T00:00:00.000Z');

    const manual = await lifecycleWorkspace(db.pool, {
      build: { deadline: at('2025-06-04T18:00:00Z') },
    });
    const cleared = await resetRunningDeadline.one(db.pool, {
      workspace_id: manual.workspaceId,
      now: NOW,
    });
    expect(cleared.deadline).toBeNull();
    expect((await cache(manual.workspaceId)).autostop_at).toBeNull();
  });

  it('extends the deadline up to max_deadline, only on the latest start build', async () => {
    const { workspaceId, buildId, versionId, ownerId } = await lifecycleWorkspace(db.pool, {
      build: { deadline: at('2025-06-04T13:00:00Z'), maxDeadline: at('2025-06-05T00:00:00Z') },
    });
    const ok = await extendWorkspaceDeadline.maybeOne(db.pool, {
      workspace_id: workspaceId,
      build_id: buildId,
      deadline: at('2025-06-04T20:00:00Z'),
      now: NOW,
    });
    expect(iso(ok?.deadline)).toBe('2025-06-04T20:00:00.000Z');
    expect((await cache(workspaceId)).autostop_at).toBe('2025-06-04T20:00:00.000Z');
    const tooLate = await extendWorkspaceDeadline.maybeOne(db.pool, {
      workspace_id: workspaceId,
      build_id: buildId,
      deadline: at('2025-06-05T00:00:01Z'),
      now: NOW,
    });
    expect(tooLate).toBeNull();
    await createBuild(db.pool, {
      workspaceId,
      versionId,
      initiatorId: ownerId,
      transition: 'stop',
    });
    const superseded = await extendWorkspaceDeadline.maybeOne(db.pool, {
      workspace_id: workspaceId,
      build_id: buildId,
      deadline: at('2025-06-04T21:00:00Z'),
      now: NOW,
    });
    expect(superseded).toBeNull();
  });

  it('applies an activity bump only from the deadline it was computed from, never lower', async () => {
    const { workspaceId, buildId } = await lifecycleWorkspace(db.pool, {
      workspace: { lastUsedAt: at('2025-06-04T10:00:00Z') },
      build: { deadline: at('2025-06-04T12:30:00Z'), maxDeadline: at('2025-06-04T14:00:00Z') },
    });
    const bump = (expected: string, deadline: string) =>
      applyActivityBump.maybeOne(db.pool, {
        build_id: buildId,
        expected_deadline: at(expected),
        deadline: at(deadline),
        now: NOW,
      });
    expect(await bump('2025-06-04T12:00:00Z', '2025-06-04T13:00:00Z')).toBeNull(); // stale
    expect(await bump('2025-06-04T12:30:00Z', '2025-06-04T12:20:00Z')).toBeNull(); // lower
    expect(await bump('2025-06-04T12:30:00Z', '2025-06-04T14:00:01Z')).toBeNull(); // past max
    expect(iso((await bump('2025-06-04T12:30:00Z', '2025-06-04T13:00:00Z'))?.deadline)).toBe(
      '2025-06-04T13:00:00.000Z',
    );
    const touched = await touchWorkspaceLastUsed.one(db.pool, {
      workspace_id: workspaceId,
      now: NOW,
    });
    expect(iso(touched.last_used_at)).toBe(iso(NOW));
    const older = await touchWorkspaceLastUsed.one(db.pool, {
      workspace_id: workspaceId,
      now: at('2025-06-04T11:00:00Z'),
    });
    expect(iso(older.last_used_at)).toBe(iso(NOW)); // never backwards
  });

  it('marks dormant with deleting_at = dormant_at + autodelete, and back', async () => {
    const { workspaceId } = await lifecycleWorkspace(db.pool, {
      template: { timeTilDormantAutodeleteMs: 7 * 86_400_000 },
      workspace: {
        autostartSchedule: '0 9 * * *',
        nextStartAt: at('2025-06-05T09:00:00Z'),
        lastUsedAt: at('2025-05-01T00:00:00Z'),
      },
    });
    const marked = await markWorkspaceDormant.one(db.pool, { workspace_id: workspaceId, now: NOW });
    expect([iso(marked.dormant_at), iso(marked.deleting_at)]).toEqual([
      '2025-06-04T12:00:00.000Z',
      '2025-06-11T12:00:00.000Z',
    ]);
    const state = await lifecycleStateByWorkspace.one(db.pool, { workspace_id: workspaceId });
    expect(state.next_start_at).toBeNull(); // no autostart while dormant
    expect(
      await markWorkspaceDormant.maybeOne(db.pool, { workspace_id: workspaceId, now: NOW }),
    ).toBeNull();

    const later = at('2025-06-06T08:00:00Z');
    const cleared = await clearWorkspaceDormant.one(db.pool, {
      workspace_id: workspaceId,
      now: later,
      next_start_at: at('2025-06-06T09:00:00Z'),
    });
    expect(cleared).toMatchObject({ dormant_at: null, deleting_at: null });
    expect(iso(cleared.last_used_at)).toBe(iso(later));
  });

  it('marks dormant without deletion when the template does not autodelete', async () => {
    const { workspaceId } = await lifecycleWorkspace(db.pool);
    const marked = await markWorkspaceDormant.one(db.pool, { workspace_id: workspaceId, now: NOW });
    expect(marked.deleting_at).toBeNull();
  });

  it('never touches a prebuilt workspace', async () => {
    const { workspaceId, buildId } = await lifecycleWorkspace(db.pool, {
      ownerId: SYSTEM_USER_ID,
      build: { deadline: at('2025-06-04T12:30:00Z') },
    });
    const id = { workspace_id: workspaceId, now: NOW };
    expect(
      await setWorkspaceAutostart.maybeOne(db.pool, {
        ...id,
        schedule: '0 9 * * *',
        next_start_at: null,
      }),
    ).toBeNull();
    expect(await setWorkspaceTtl.maybeOne(db.pool, { ...id, ttl_ms: 3_600_000 })).toBeNull();
    expect(await resetRunningDeadline.maybeOne(db.pool, id)).toBeNull();
    expect(
      await extendWorkspaceDeadline.maybeOne(db.pool, {
        ...id,
        build_id: buildId,
        deadline: at('2025-06-04T20:00:00Z'),
      }),
    ).toBeNull();
    expect(
      await applyActivityBump.maybeOne(db.pool, {
        build_id: buildId,
        expected_deadline: at('2025-06-04T12:30:00Z'),
        deadline: at('2025-06-04T13:00:00Z'),
        now: NOW,
      }),
    ).toBeNull();
    expect(await touchWorkspaceLastUsed.maybeOne(db.pool, id)).toBeNull();
    expect(await markWorkspaceDormant.maybeOne(db.pool, id)).toBeNull();
    expect(
      await setWorkspacesNextStartAt.any(db.pool, {
        workspace_ids: [workspaceId],
        next_start_ats: ['2025-06-05T09:00:00Z'],
      }),
    ).toEqual([]);
  });
});

describe('the lifecycle cache kept by triggers', () => {
  it('follows the latest build: start deadline, max_deadline fallback, stop, failure', async () => {
    const f = await lifecycleWorkspace(db.pool, {
      build: { deadline: at('2025-06-04T18:00:00Z') },
    });
    expect(await cache(f.workspaceId)).toEqual({
      autostop_at: '2025-06-04T18:00:00.000Z',
      failed_build_at: null,
    });

    // A new start build whose job is still running: no deadline yet.
    const next = await createBuild(db.pool, {
      workspaceId: f.workspaceId,
      versionId: f.versionId,
      initiatorId: f.ownerId,
      jobState: 'running',
    });
    expect(await cache(f.workspaceId)).toEqual({ autostop_at: null, failed_build_at: null });

    // The job completes and the deadline is set (what the job queue does on completion).
    await db.pool.query(sql.unsafe`
      UPDATE provisioner_jobs SET completed_at = ${iso(NOW)} WHERE id = ${next.jobId}`);
    await db.pool.query(sql.unsafe`
      UPDATE workspace_builds SET max_deadline = '2025-06-05T00:00:00Z' WHERE id = ${next.buildId}`);
    expect((await cache(f.workspaceId)).autostop_at).toBe('2025-06-05T00:00:00.000Z');

    // A stop build that fails.
    const stop = await createBuild(db.pool, {
      workspaceId: f.workspaceId,
      versionId: f.versionId,
      initiatorId: f.ownerId,
      transition: 'stop',
      jobState: 'running',
    });
    expect(await cache(f.workspaceId)).toEqual({ autostop_at: null, failed_build_at: null });
    await db.pool.query(sql.unsafe`
      UPDATE provisioner_jobs SET completed_at = ${iso(NOW)}, error = 'boom' WHERE id = ${stop.jobId}`);
    expect(await cache(f.workspaceId)).toEqual({ autostop_at: null, failed_build_at: iso(NOW) });
  });

  it('is not rewritten by job heartbeats', async () => {
    const f = await lifecycleWorkspace(db.pool, { build: { jobState: 'running' } });
    const Xmin = z.object({ xmin: z.string() });
    const before = await db.pool.oneFirst(
      sql.type(Xmin)`SELECT xmin::text FROM workspaces WHERE id = ${f.workspaceId}`,
    );
    await db.pool.query(
      sql.unsafe`UPDATE provisioner_jobs SET updated_at = now() WHERE id = ${f.jobId}`,
    );
    const after = await db.pool.oneFirst(
      sql.type(Xmin)`SELECT xmin::text FROM workspaces WHERE id = ${f.workspaceId}`,
    );
    expect(after).toBe(before);
  });
});
