import { sql } from 'slonik';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { extendWorkspaceDeadline } from '../../src/lifecycle/queries.js';
import { enqueueNotification } from '../../src/notifications/enqueue.js';
import { useTestDatabase } from '../helpers/db.js';
import { at, isolate, messagesAbout, MIN, plus, testService } from './harness.js';
import { lifecycleWorkspace } from './setup.js';

const db = useTestDatabase();
beforeEach(() => isolate(db.pool));

const NOW = at('2025-06-04T12:00:00Z');

/** Running until 12:30, reminders 20 minutes ahead, last used long ago. */
function running(options: { lastUsedAt?: Date; activityBumpMs?: number } = {}) {
  return lifecycleWorkspace(db.pool, {
    template: {
      timeTilAutostopNotifyMs: 20 * MIN,
      ...(options.activityBumpMs !== undefined ? { activityBumpMs: options.activityBumpMs } : {}),
    },
    workspace: { lastUsedAt: options.lastUsedAt ?? at('2025-06-04T08:00:00Z'), name: 'dev' },
    build: { createdAt: at('2025-06-04T08:00:00Z'), deadline: plus(NOW, 30 * MIN) },
  });
}

const reminders = (workspaceId: string) => messagesAbout(db.pool, workspaceId, 'autostop_reminder');

describe('autostop reminders through the lifecycle tick (seed 001)', () => {
  it('sends one reminder per deadline, once the deadline enters the window', async () => {
    const f = await running();
    const { service } = testService(db.pool);
    // 12:09: the 12:30 deadline is 21 minutes away, outside the 20-minute window.
    expect((await service.tick(plus(NOW, 9 * MIN))).reminders.has(f.workspaceId)).toBe(false);
    const first = await service.tick(plus(NOW, 10 * MIN));
    expect(first.reminders.get(f.workspaceId)).toEqual(plus(NOW, 30 * MIN));
    for (const minute of [11, 15, 29]) {
      expect((await service.tick(plus(NOW, minute * MIN))).reminders.has(f.workspaceId)).toBe(
        false,
      );
    }
    expect(await reminders(f.workspaceId)).toEqual([
      {
        template: 'autostop_reminder',
        user_id: f.ownerId,
        payload: {
          workspace_id: f.workspaceId,
          workspace: 'dev',
          deadline: plus(NOW, 30 * MIN).toISOString(),
        },
      },
    ]);
    // At the deadline the stop happens instead of a reminder.
    const stop = await service.tick(plus(NOW, 30 * MIN));
    expect(stop.transitions.get(f.workspaceId)).toBe('stop (autostop)');
    expect(stop.reminders.has(f.workspaceId)).toBe(false);
  });

  it('sends none to a user active within 15 minutes when activity bumps are on', async () => {
    const active = await running({ lastUsedAt: plus(NOW, 5 * MIN) });
    const noBumps = await running({ lastUsedAt: plus(NOW, 5 * MIN), activityBumpMs: 0 });
    const { service } = testService(db.pool);
    const stats = await service.tick(plus(NOW, 15 * MIN));
    expect(stats.reminders.has(active.workspaceId)).toBe(false);
    expect(await reminders(active.workspaceId)).toEqual([]);
    // Without bumps nothing will move the deadline: that user is reminded.
    expect(stats.reminders.has(noBumps.workspaceId)).toBe(true);
    // 16 minutes after the activity the user counts as idle again.
    expect((await service.tick(plus(NOW, 21 * MIN))).reminders.has(active.workspaceId)).toBe(true);
  });

  it('sends a second reminder after an extend moves the deadline', async () => {
    const f = await running();
    const { service } = testService(db.pool);
    expect((await service.tick(plus(NOW, 10 * MIN))).reminders.has(f.workspaceId)).toBe(true);
    await extendWorkspaceDeadline.one(db.pool, {
      workspace_id: f.workspaceId,
      build_id: f.buildId,
      deadline: plus(NOW, 60 * MIN),
      now: plus(NOW, 12 * MIN),
    });
    expect((await service.tick(plus(NOW, 30 * MIN))).reminders.has(f.workspaceId)).toBe(false);
    expect((await service.tick(plus(NOW, 40 * MIN))).reminders.get(f.workspaceId)).toEqual(
      plus(NOW, 60 * MIN),
    );
    expect((await reminders(f.workspaceId)).map((m) => m.payload.deadline)).toEqual([
      plus(NOW, 30 * MIN).toISOString(),
      plus(NOW, 60 * MIN).toISOString(),
    ]);
  });

  it('re-arms after a failed enqueue, and a later tick sends it', async () => {
    const f = await running();
    let failing = true;
    const { service } = testService(db.pool, {
      enqueue: (target, request) =>
        failing
          ? Promise.reject(new Error('notification store unavailable'))
          : enqueueNotification(target, request),
    });
    const failed = await service.tick(plus(NOW, 10 * MIN));
    expect(failed.reminders.has(f.workspaceId)).toBe(false);
    expect(failed.errors.get(f.workspaceId)).toMatch(/re-armed/);
    expect(await reminders(f.workspaceId)).toEqual([]);
    const marker = await db.pool.oneFirst(
      sql.type(
        z.object({ n: z.date().nullable() }),
      )`SELECT notified_autostop_deadline AS n FROM workspace_builds WHERE id = ${f.buildId}`,
    );
    expect(marker).toBeNull();
    failing = false;
    const retried = await service.tick(plus(NOW, 11 * MIN));
    expect(retried.reminders.get(f.workspaceId)).toEqual(plus(NOW, 30 * MIN));
    expect(await reminders(f.workspaceId)).toHaveLength(1);
  });
});
