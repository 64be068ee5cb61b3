import { beforeEach, describe, expect, it } from 'vitest';

import { useTestDatabase } from '../helpers/db.js';
import {
  at,
  buildsOf,
  DAY,
  finishBuild,
  HOUR,
  isolate,
  latestBuild,
  messagesAbout,
  plus,
  testService,
  workspaceRow,
} from './harness.js';
import { lifecycleWorkspace } from './setup.js';

const db = useTestDatabase();
beforeEach(() => isolate(db.pool));

const LAST_USED = at('2025-06-01T10:00:00Z');
const dormancyTemplate = { timeTilDormantMs: 7 * DAY, timeTilDormantAutodeleteMs: 30 * DAY };

describe('dormancy, auto-delete and build outcome notifications', () => {
  it('stops a running idle workspace and marks it dormant, with deletion date and notifications', async () => {
    const f = await lifecycleWorkspace(db.pool, {
      template: dormancyTemplate,
      workspace: { lastUsedAt: LAST_USED, name: 'idle' },
      build: { createdAt: LAST_USED, completedAt: LAST_USED },
    });
    const { service } = testService(db.pool);
    expect((await service.tick(plus(LAST_USED, 7 * DAY))).transitions.size).toBe(0);
    const tick = plus(LAST_USED, 7 * DAY + 60_000);
    const stats = await service.tick(tick);
    expect(stats.transitions.get(f.workspaceId)).toBe('stop (dormancy)');
    expect(await latestBuild(db.pool, f.workspaceId)).toMatchObject({
      transition: 'stop',
      reason: 'dormancy',
    });
    expect(await workspaceRow(db.pool, f.workspaceId)).toMatchObject({
      dormant_at: tick,
      deleting_at: plus(tick, 30 * DAY),
    });
    const sent = await messagesAbout(db.pool, f.workspaceId);
    expect(sent.map((m) => m.template).sort()).toEqual([
      'workspace_dormant',
      'workspace_marked_for_deletion',
    ]);
    expect(sent.find((m) => m.template === 'workspace_dormant')!.payload).toMatchObject({
      workspace: 'idle',
      deleting_at: plus(tick, 30 * DAY).toISOString(),
    });
  });

  it('only marks a stopped idle workspace (no build)', async () => {
    const f = await lifecycleWorkspace(db.pool, {
      template: { timeTilDormantMs: 7 * DAY },
      workspace: { lastUsedAt: LAST_USED },
      build: { transition: 'stop', createdAt: LAST_USED, completedAt: LAST_USED },
    });
    const { service } = testService(db.pool);
    const tick = plus(LAST_USED, 8 * DAY);
    const stats = await service.tick(tick);
    expect(stats.transitions.get(f.workspaceId)).toBe('dormant (dormancy)');
    expect(await buildsOf(db.pool, f.workspaceId)).toHaveLength(1);
    // No autodelete configured: no deletion date, no "marked for deletion".
    expect(await workspaceRow(db.pool, f.workspaceId)).toMatchObject({
      dormant_at: tick,
      deleting_at: null,
    });
    expect((await messagesAbout(db.pool, f.workspaceId)).map((m) => m.template)).toEqual([
      'workspace_dormant',
    ]);
    // Dormant now: later ticks leave it alone.
    expect((await service.tick(plus(tick, DAY))).transitions.has(f.workspaceId)).toBe(false);
  });

  it('deletes a dormant workspace after deleting_at and tells the owner when the delete finished', async () => {
    const deletingAt = at('2025-07-01T00:00:00Z');
    const f = await lifecycleWorkspace(db.pool, {
      template: dormancyTemplate,
      workspace: {
        lastUsedAt: LAST_USED,
        dormantAt: at('2025-06-01T00:00:00Z'),
        deletingAt,
        name: 'old',
      },
      build: { transition: 'stop', createdAt: LAST_USED, completedAt: LAST_USED },
    });
    const { service } = testService(db.pool);
    // Strictly after deleting_at.
    expect((await service.tick(deletingAt)).transitions.size).toBe(0);
    const stats = await service.tick(plus(deletingAt, 60_000));
    expect(stats.transitions.get(f.workspaceId)).toBe('delete (autodelete)');
    const build = await latestBuild(db.pool, f.workspaceId);
    expect(build).toMatchObject({ transition: 'delete', reason: 'autodelete' });
    expect(await messagesAbout(db.pool, f.workspaceId, 'workspace_deleted')).toEqual([]);
    await finishBuild(db.pool, build.job_id, plus(deletingAt, 2 * 60_000));
    expect((await workspaceRow(db.pool, f.workspaceId)).deleted).toBe(true);
    expect(await messagesAbout(db.pool, f.workspaceId, 'workspace_deleted')).toEqual([
      {
        template: 'workspace_deleted',
        user_id: f.ownerId,
        payload: {
          workspace_id: f.workspaceId,
          workspace: 'old',
          reason: 'autodeleted due to dormancy',
          initiator: 'autobuild',
        },
      },
    ]);
  });

  it('retries a failed delete 24 hours after it failed, and reports each failure', async () => {
    const deletingAt = at('2025-07-01T00:00:00Z');
    const f = await lifecycleWorkspace(db.pool, {
      template: dormancyTemplate,
      workspace: { lastUsedAt: LAST_USED, dormantAt: at('2025-06-01T00:00:00Z'), deletingAt },
      build: { transition: 'stop', createdAt: LAST_USED, completedAt: LAST_USED },
    });
    const { service } = testService(db.pool);
    const first = plus(deletingAt, 60_000);
    await service.tick(first);
    const failedAt = plus(first, 60_000);
    await finishBuild(
      db.pool,
      (await latestBuild(db.pool, f.workspaceId)).job_id,
      failedAt,
      'failed',
    );
    expect(await messagesAbout(db.pool, f.workspaceId, 'workspace_autobuild_failed')).toEqual([
      {
        template: 'workspace_autobuild_failed',
        user_id: f.ownerId,
        payload: expect.objectContaining({
          reason: 'autodelete',
          transition: 'delete',
          build_number: 2,
          error: 'terraform apply failed',
        }),
      },
    ]);
    for (const later of [HOUR, 12 * HOUR, 24 * HOUR]) {
      expect((await service.tick(plus(failedAt, later))).transitions.has(f.workspaceId)).toBe(
        false,
      );
    }
    const retry = await service.tick(plus(failedAt, 24 * HOUR + 60_000));
    expect(retry.transitions.get(f.workspaceId)).toBe('delete (autodelete)');
    expect((await buildsOf(db.pool, f.workspaceId)).map((b) => b.transition)).toEqual([
      'stop',
      'delete',
      'delete',
    ]);
  });

  it('reports a failed autostop build to the owner, but not a failed manual build', async () => {
    const f = await lifecycleWorkspace(db.pool, {
      build: { createdAt: LAST_USED, completedAt: LAST_USED, deadline: plus(LAST_USED, HOUR) },
    });
    const manual = await lifecycleWorkspace(db.pool, {
      build: { jobState: 'running', createdAt: LAST_USED },
    });
    const { service } = testService(db.pool);
    await service.tick(plus(LAST_USED, HOUR));
    const stop = await latestBuild(db.pool, f.workspaceId);
    await finishBuild(db.pool, stop.job_id, plus(LAST_USED, HOUR + 60_000), 'failed');
    await finishBuild(db.pool, manual.jobId, plus(LAST_USED, HOUR + 60_000), 'failed');
    expect(
      (await messagesAbout(db.pool, f.workspaceId, 'workspace_autobuild_failed')).map(
        (m) => m.payload.reason,
      ),
    ).toEqual(['autostop']);
    expect(await messagesAbout(db.pool, manual.workspaceId)).toEqual([]);
  });
});
