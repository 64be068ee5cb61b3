import { type Interceptor, sql } from 'slonik';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

import { LOCKS, tryAdvisoryXactLock } from '../../src/db/locks.js';
import { createDbPool } from '../../src/db/pool.js';
import { sqlQuery } from '../../src/db/sql-files.js';
import { silentLogger } from '../../src/log/logger.js';
import {
  extendWorkspaceDeadline,
  lifecycleStateByWorkspace,
  stampAutostopReminder,
} from '../../src/lifecycle/queries.js';
import { remindAutostop, type ReminderDeps } from '../../src/lifecycle/reminder.js';
import { enqueueNotification } from '../../src/notifications/enqueue.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser, SYSTEM_USER_ID } from '../helpers/fixtures.js';
import { lifecycleWorkspace } from './setup.js';

const db = useTestDatabase();
const MIN = 60_000;
const NOW = new Date('2025-06-04T12:00:00Z');
const plus = (ms: number) => new Date(NOW.getTime() + ms);

const deps = (): ReminderDeps => ({
  pool: db.pool,
  logger: silentLogger(),
  activeWindowMs: 15 * MIN,
});

/** A running workspace stopping 20 minutes from NOW, on a template that reminds 30 minutes ahead. */
async function running(options: { lastUsedAgo?: number; ownerId?: string } = {}) {
  return lifecycleWorkspace(db.pool, {
    template: { timeTilAutostopNotifyMs: 30 * MIN },
    workspace: { lastUsedAt: plus(-(options.lastUsedAgo ?? 2 * 60 * MIN)), name: 'dev' },
    build: { deadline: plus(20 * MIN), createdAt: plus(-2 * 60 * MIN) },
    ...(options.ownerId ? { ownerId: options.ownerId } : {}),
  });
}

const Message = z.object({ payload: z.record(z.unknown()), user_id: z.string().nullable() });
const messagesFor = (workspaceId: string) =>
  db.pool.any(sql.type(Message)`
    SELECT payload, user_id FROM notification_messages
    WHERE template = 'autostop_reminder' AND payload->>'workspace_id' = ${workspaceId}
    ORDER BY created_at`);

const marker = async (workspaceId: string) =>
  (
    await lifecycleStateByWorkspace.one(db.pool, { workspace_id: workspaceId })
  ).notified_autostop_deadline?.toISOString() ?? null;

describe('remindAutostop (seed 001)', () => {
  it('stamps the marker and enqueues one reminder per deadline', async () => {
    const f = await running();
    expect(await remindAutostop(deps(), f.workspaceId, NOW)).toEqual({
      outcome: 'sent',
      autostopAt: plus(20 * MIN),
    });
    expect(await marker(f.workspaceId)).toBe(plus(20 * MIN).toISOString());
    const messages = await messagesFor(f.workspaceId);
    expect(messages).toEqual([
      {
        user_id: f.ownerId,
        payload: {
          workspace_id: f.workspaceId,
          workspace: 'dev',
          deadline: plus(20 * MIN).toISOString(),
        },
      },
    ]);
    // Later ticks: already sent for this deadline.
    expect((await remindAutostop(deps(), f.workspaceId, plus(MIN))).outcome).toBe('not_due');
    expect((await remindAutostop(deps(), f.workspaceId, plus(10 * MIN))).outcome).toBe('not_due');
    expect(await messagesFor(f.workspaceId)).toHaveLength(1);
  });

  it('re-arms the marker when the enqueue fails, and a later tick sends it', async () => {
    const f = await running();
    const failing: ReminderDeps = {
      ...deps(),
      enqueue: () => Promise.reject(new Error('notification store unavailable')),
    };
    expect(await remindAutostop(failing, f.workspaceId, NOW)).toMatchObject({ outcome: 'failed' });
    expect(await marker(f.workspaceId)).toBeNull();
    expect(await messagesFor(f.workspaceId)).toHaveLength(0);
    expect((await remindAutostop(deps(), f.workspaceId, plus(MIN))).outcome).toBe('sent');
    expect(await messagesFor(f.workspaceId)).toHaveLength(1);
  });

  it('treats a retry after a partly successful enqueue as a duplicate, not a second message', async () => {
    const f = await running();
    // The enqueue committed but its caller saw an error (e.g. the connection dropped on reply).
    const partial: ReminderDeps = {
      ...deps(),
      enqueue: async (db_, request) => {
        await enqueueNotification(db_, request);
        throw new Error('connection reset');
      },
    };
    expect((await remindAutostop(partial, f.workspaceId, NOW)).outcome).toBe('failed');
    expect((await remindAutostop(deps(), f.workspaceId, plus(MIN))).outcome).toBe('duplicate');
    expect(await messagesFor(f.workspaceId)).toHaveLength(1);
    expect(await marker(f.workspaceId)).not.toBeNull();
  });

  it('sends a second reminder after an extend moves the deadline', async () => {
    const f = await running();
    expect((await remindAutostop(deps(), f.workspaceId, NOW)).outcome).toBe('sent');
    await extendWorkspaceDeadline.one(db.pool, {
      workspace_id: f.workspaceId,
      build_id: f.buildId,
      deadline: plus(60 * MIN),
      now: plus(5 * MIN),
    });
    expect((await remindAutostop(deps(), f.workspaceId, plus(10 * MIN))).outcome).toBe('not_due'); // 50 min away
    expect((await remindAutostop(deps(), f.workspaceId, plus(30 * MIN))).outcome).toBe('sent');
    const deadlines = (await messagesFor(f.workspaceId)).map((m) => m.payload.deadline);
    expect(deadlines).toEqual([plus(20 * MIN).toISOString(), plus(60 * MIN).toISOString()]);
  });

  it('skips a user active within 15 minutes (activity bumps will move the deadline)', async () => {
    const f = await running({ lastUsedAgo: 5 * MIN });
    expect((await remindAutostop(deps(), f.workspaceId, NOW)).outcome).toBe('not_due');
    expect(await marker(f.workspaceId)).toBeNull();
  });

  it('sends nothing when a transition is due instead (suspended owner)', async () => {
    const owner = await createUser(db.pool, { status: 'suspended' });
    const f = await running({ ownerId: owner });
    expect((await remindAutostop(deps(), f.workspaceId, NOW)).outcome).toBe('not_due');
  });

  it('never reminds about a prebuild', async () => {
    const f = await running({ ownerId: SYSTEM_USER_ID });
    expect((await remindAutostop(deps(), f.workspaceId, NOW)).outcome).toBe('not_due');
  });

  it('skips a workspace another replica holds this tick', async () => {
    const f = await running();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked = false;
    const other = db.pool.transaction(async (tx) => {
      locked = await tryAdvisoryXactLock(tx, LOCKS.workspace(f.workspaceId));
      await held;
    });
    await expect.poll(() => locked).toBe(true);
    expect((await remindAutostop(deps(), f.workspaceId, NOW)).outcome).toBe('locked');
    release();
    await other;
    expect((await remindAutostop(deps(), f.workspaceId, NOW)).outcome).toBe('sent');
  });

  it('a replica whose snapshot predates the stamp of another retries and finds it sent', async () => {
    // The interleaving that failed a race under load: this replica's transaction has its snapshot
    // and the lock, and another replica's stamp of the same build commits before it stamps (in
    // production: the other committed between this one's snapshot and its lock).
    const f = await running();
    const stateText = sqlQuery('LifecycleStateByWorkspace').text;
    let reads = 0;
    const otherReplica: Interceptor = {
      name: 'other-replica-stamps',
      beforeQueryExecution: async (_ctx, query) => {
        if (query.sql !== stateText || ++reads !== 1) return null;
        const row = await lifecycleStateByWorkspace.one(db.pool, { workspace_id: f.workspaceId });
        await stampAutostopReminder.one(db.pool, {
          build_id: row.build_id,
          autostop_at: plus(20 * MIN),
          now: NOW,
        });
        return null;
      },
    };
    const pool = await createDbPool(db.url, {
      logger: silentLogger(),
      maximumPoolSize: 2,
      interceptors: [otherReplica],
    });
    try {
      expect(await remindAutostop({ ...deps(), pool }, f.workspaceId, NOW)).toEqual({
        outcome: 'not_due',
      });
      expect(reads).toBe(2);
      expect(await marker(f.workspaceId)).toBe(plus(20 * MIN).toISOString());
      expect(await messagesFor(f.workspaceId)).toHaveLength(0);
    } finally {
      await pool.end();
    }
  });

  it('three replicas at once send it once, and none fails', async () => {
    // Each round races three reminders of one workspace (the next test forces the interleaving
    // that once made one of them fail).
    for (let round = 0; round < 5; round++) {
      const f = await running();
      const outcomes = await Promise.all([
        remindAutostop(deps(), f.workspaceId, NOW),
        remindAutostop(deps(), f.workspaceId, NOW),
        remindAutostop(deps(), f.workspaceId, NOW),
      ]);
      expect(outcomes.filter((o) => o.outcome === 'sent')).toHaveLength(1);
      expect(outcomes.every((o) => ['sent', 'locked', 'not_due'].includes(o.outcome))).toBe(true);
      expect(await messagesFor(f.workspaceId)).toHaveLength(1);
    }
  });
});
