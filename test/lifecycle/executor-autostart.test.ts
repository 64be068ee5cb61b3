import { sql } from 'slonik';
import { beforeEach, describe, expect, it } from 'vitest';

import { useTestDatabase } from '../helpers/db.js';
import { createTemplateVersion, createUser, SYSTEM_USER_ID } from '../helpers/fixtures.js';
import {
  at,
  buildsOf,
  finishBuild,
  HOUR,
  isolate,
  latestBuild,
  messagesAbout,
  MIN,
  testService,
  workspaceRow,
} from './harness.js';
import { lifecycleWorkspace } from './setup.js';

const db = useTestDatabase();
beforeEach(() => isolate(db.pool));

/** A stopped workspace: its stop build was created and finished at `stoppedAt`. */
function stopped(
  stoppedAt: string,
  schedule: string,
  options: Parameters<typeof lifecycleWorkspace>[1] = {},
) {
  return lifecycleWorkspace(db.pool, {
    ...options,
    workspace: { autostartSchedule: schedule, ...options.workspace },
    build: {
      transition: 'stop',
      createdAt: at(stoppedAt),
      completedAt: at(stoppedAt),
      ...options.build,
    },
  });
}

describe('autostart through the executor', () => {
  it('starts on time, not a minute early, as the owner, with reason autostart', async () => {
    // 2025-06-02 is a Monday.
    const f = await stopped('2025-06-02T18:00:00Z', 'CRON_TZ=UTC 0 9 * * *');
    const { service } = testService(db.pool);
    const early = await service.tick(at('2025-06-03T08:59:00Z'));
    expect(early.transitions.has(f.workspaceId)).toBe(false);
    // The scheduler cached the next start for the index-backed candidate scan.
    expect((await workspaceRow(db.pool, f.workspaceId)).next_start_at).toEqual(
      at('2025-06-03T09:00:00Z'),
    );
    const due = await service.tick(at('2025-06-03T09:00:20Z'));
    expect(due.transitions.get(f.workspaceId)).toBe('start (autostart)');
    expect(await latestBuild(db.pool, f.workspaceId)).toMatchObject({
      build_number: 2,
      transition: 'start',
      reason: 'autostart',
      initiator_id: f.ownerId,
      template_version_id: f.versionId,
      job_status: 'pending',
    });
  });

  it('keeps the wall-clock time across a DST change in the schedule zone', async () => {
    // New York springs forward on Sunday 2025-03-09: 09:00 is 14:00Z on Friday, 13:00Z on Monday.
    const f = await stopped('2025-03-07T22:00:00Z', 'CRON_TZ=America/New_York 0 9 * * 1-5');
    const { service } = testService(db.pool);
    expect((await service.tick(at('2025-03-10T12:59:00Z'))).transitions.size).toBe(0);
    const due = await service.tick(at('2025-03-10T13:00:00Z'));
    expect(due.transitions.get(f.workspaceId)).toBe('start (autostart)');
  });

  it('does not start on a day the template blocks (judged in the schedule zone)', async () => {
    // Saturday blocked. The workspace stopped on Friday 2025-06-06.
    const f = await stopped('2025-06-06T18:00:00Z', 'CRON_TZ=UTC 0 9 * * *', {
      template: { autostartBlockDaysOfWeek: 0b0100000 },
    });
    const { service } = testService(db.pool);
    const saturday = await service.tick(at('2025-06-07T09:00:00Z'));
    expect(saturday.transitions.has(f.workspaceId)).toBe(false);
    expect((await workspaceRow(db.pool, f.workspaceId)).next_start_at).toEqual(
      at('2025-06-08T09:00:00Z'),
    );
    const sunday = await service.tick(at('2025-06-08T09:00:00Z'));
    expect(sunday.transitions.get(f.workspaceId)).toBe('start (autostart)');
  });

  it('does not start the workspace of a suspended owner', async () => {
    const ownerId = await createUser(db.pool, { status: 'suspended' });
    const f = await stopped('2025-06-02T18:00:00Z', 'CRON_TZ=UTC 0 9 * * *', { ownerId });
    const { service } = testService(db.pool);
    const stats = await service.tick(at('2025-06-03T09:00:00Z'));
    expect(stats.transitions.has(f.workspaceId)).toBe(false);
    expect(await buildsOf(db.pool, f.workspaceId)).toHaveLength(1);
  });

  it('does not start a dormant workspace', async () => {
    const f = await stopped('2025-06-02T18:00:00Z', 'CRON_TZ=UTC 0 9 * * *', {
      workspace: { dormantAt: at('2025-06-02T19:00:00Z') },
    });
    const { service } = testService(db.pool);
    const stats = await service.tick(at('2025-06-03T09:00:00Z'));
    expect(stats.transitions.has(f.workspaceId)).toBe(false);
    expect(await buildsOf(db.pool, f.workspaceId)).toHaveLength(1);
  });

  it('catches up a start missed while the controller was down, exactly once', async () => {
    const f = await stopped('2025-06-02T18:00:00Z', 'CRON_TZ=UTC 0 9 * * *');
    const { service } = testService(db.pool);
    await service.tick(at('2025-06-02T18:01:00Z'));
    // Down from Monday evening to Thursday 10:00: the Tuesday, Wednesday and Thursday fires passed.
    const back = await service.tick(at('2025-06-05T10:00:00Z'));
    expect(back.transitions.get(f.workspaceId)).toBe('start (autostart)');
    const again = await service.tick(at('2025-06-05T10:01:00Z'));
    expect(again.transitions.has(f.workspaceId)).toBe(false);
    await finishBuild(
      db.pool,
      (await latestBuild(db.pool, f.workspaceId)).job_id,
      at('2025-06-05T10:01:30Z'),
    );
    const later = await service.tick(at('2025-06-05T10:02:00Z'));
    expect(later.transitions.has(f.workspaceId)).toBe(false);
    const starts = (await buildsOf(db.pool, f.workspaceId)).filter((b) => b.reason === 'autostart');
    expect(starts).toHaveLength(1);
    // The finished start cached the next fire after it: Friday.
    expect((await workspaceRow(db.pool, f.workspaceId)).next_start_at).toEqual(
      at('2025-06-06T09:00:00Z'),
    );
  });

  it('builds the active version when the template requires it, and tells the owner', async () => {
    const f = await stopped('2025-06-02T18:00:00Z', 'CRON_TZ=UTC 0 9 * * *', {
      template: { requireActiveVersion: true },
    });
    const active = await createTemplateVersion(db.pool, { templateId: f.templateId, name: 'v2' });
    const { service } = testService(db.pool);
    const stats = await service.tick(at('2025-06-03T09:00:00Z'));
    expect(stats.executions.find((e) => e.workspaceId === f.workspaceId)).toMatchObject({
      outcome: 'built',
      autoUpdated: true,
    });
    expect((await latestBuild(db.pool, f.workspaceId)).template_version_id).toBe(active);
    expect(await messagesAbout(db.pool, f.workspaceId, 'workspace_auto_updated')).toEqual([
      {
        template: 'workspace_auto_updated',
        user_id: f.ownerId,
        payload: expect.objectContaining({ template_version: 'v2', reason: 'autostart' }),
      },
    ]);
  });

  it('builds the active version for automatic_updates = always, the old one otherwise', async () => {
    const always = await stopped('2025-06-02T18:00:00Z', 'CRON_TZ=UTC 0 9 * * *');
    const never = await stopped('2025-06-02T18:00:00Z', 'CRON_TZ=UTC 0 9 * * *', {});
    await db.pool.query(sql.unsafe`
      UPDATE workspaces SET automatic_updates = 'always' WHERE id = ${always.workspaceId}`);
    const v2a = await createTemplateVersion(db.pool, { templateId: always.templateId });
    await createTemplateVersion(db.pool, { templateId: never.templateId });
    const { service } = testService(db.pool);
    await service.tick(at('2025-06-03T09:00:00Z'));
    expect((await latestBuild(db.pool, always.workspaceId)).template_version_id).toBe(v2a);
    expect((await latestBuild(db.pool, never.workspaceId)).template_version_id).toBe(
      never.versionId,
    );
    expect(await messagesAbout(db.pool, never.workspaceId, 'workspace_auto_updated')).toEqual([]);
  });

  it('never touches a prebuilt workspace', async () => {
    const f = await stopped('2025-06-02T18:00:00Z', 'CRON_TZ=UTC 0 9 * * *', {
      ownerId: SYSTEM_USER_ID,
      template: { failureTtlMs: MIN, timeTilDormantMs: HOUR },
      workspace: { lastUsedAt: at('2025-01-01T00:00:00Z') },
    });
    const { service } = testService(db.pool);
    const stats = await service.tick(at('2025-06-03T09:00:00Z'));
    expect(stats.candidates).toBe(0);
    expect(await buildsOf(db.pool, f.workspaceId)).toHaveLength(1);
  });
});
