import pg from 'pg';
import { sql } from 'slonik';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

import { CHANNELS } from '../../src/db/channels.js';
import { enqueueNotification } from '../../src/notifications/enqueue.js';
import { messageById } from '../../src/notifications/queries.js';
import { NotificationPayloadError } from '../../src/notifications/templates.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';

const db = useTestDatabase();
const WS = '11111111-1111-4111-8111-111111111111';

const reminder = (userId: string, now: Date, deadline = '2025-06-04T18:00:00.000Z') => ({
  template: 'autostop_reminder' as const,
  userId,
  payload: { workspace_id: WS, workspace: 'dev', deadline },
  targets: [WS, userId],
  createdBy: 'test',
  now,
});

describe('enqueueNotification', () => {
  it('stores a pending message due now', async () => {
    const user = await createUser(db.pool);
    const now = new Date('2025-06-04T17:30:00Z');
    const result = await enqueueNotification(db.pool, reminder(user, now));
    expect(result.duplicate).toBe(false);
    const row = await messageById.one(db.pool, { id: result.id! });
    expect(row).toMatchObject({
      template: 'autostop_reminder',
      user_id: user,
      status: 'pending',
      payload: { workspace_id: WS, workspace: 'dev', deadline: '2025-06-04T18:00:00.000Z' },
      targets: [WS, user],
      created_by: 'test',
      attempts: 0,
    });
    expect(row.created_at.toISOString()).toBe(now.toISOString());
    expect(row.send_after.toISOString()).toBe(now.toISOString());
  });

  it('reports a duplicate the same UTC day as a no-op, not an error', async () => {
    const user = await createUser(db.pool);
    const first = await enqueueNotification(
      db.pool,
      reminder(user, new Date('2025-06-04T00:10:00Z')),
    );
    const again = await enqueueNotification(
      db.pool,
      reminder(user, new Date('2025-06-04T23:50:00Z')),
    );
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ id: null, duplicate: true });
    const nextDay = await enqueueNotification(
      db.pool,
      reminder(user, new Date('2025-06-05T00:10:00Z')),
    );
    expect(nextDay.duplicate).toBe(false);
    const otherDeadline = await enqueueNotification(
      db.pool,
      reminder(user, new Date('2025-06-04T23:55:00Z'), '2025-06-04T19:00:00.000Z'),
    );
    expect(otherDeadline.duplicate).toBe(false);
    const count = await db.pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`
        SELECT count(*)::int AS n FROM notification_messages WHERE user_id = ${user}`,
    );
    expect(count).toBe(3);
  });

  it('rejects a payload that does not fit its template, naming the field', async () => {
    const user = await createUser(db.pool);
    await expect(
      enqueueNotification(db.pool, {
        ...reminder(user, new Date()),
        payload: { workspace_id: WS, workspace: 'dev', deadline: 'tomorrow' },
      }),
    ).rejects.toThrow(NotificationPayloadError);
    await expect(
      enqueueNotification(db.pool, {
        ...reminder(user, new Date()),
        payload: { workspace_id: WS, workspace: 'dev', deadline: 'tomorrow' },
      }),
    ).rejects.toThrow(/notification "autostop_reminder": deadline: Invalid datetime/);
  });

  it('inside a rolled-back transaction leaves nothing behind', async () => {
    const user = await createUser(db.pool);
    await expect(
      db.pool.transaction(async (tx) => {
        await enqueueNotification(tx, reminder(user, new Date('2025-06-04T12:00:00Z')));
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    const count = await db.pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`
        SELECT count(*)::int AS n FROM notification_messages WHERE user_id = ${user}`,
    );
    expect(count).toBe(0);
  });

  it('wakes listeners on the notification channel, only when a row was inserted', async () => {
    const user = await createUser(db.pool);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const seen: string[] = [];
    client.on('notification', (n) => seen.push(n.channel));
    await client.query(`LISTEN ${CHANNELS.notification}`);
    await client.query('LISTEN test_sentinel');
    try {
      const now = new Date('2025-06-06T12:00:00Z');
      await enqueueNotification(db.pool, reminder(user, now));
      await enqueueNotification(db.pool, reminder(user, now)); // duplicate: no NOTIFY
      // Notifications arrive in commit order: once the sentinel is here, so is anything before it.
      await db.pool.query(sql.unsafe`SELECT pg_notify('test_sentinel', '')`);
      await expect.poll(() => seen.includes('test_sentinel')).toBe(true);
      expect(seen).toEqual([CHANNELS.notification, 'test_sentinel']);
    } finally {
      await client.end();
    }
  });

  it('accepts a message for the operators (no user)', async () => {
    const result = await enqueueNotification(db.pool, {
      template: 'prebuild_preset_hard_limited',
      userId: null,
      payload: { template: 'dev-env', preset: 'us-nix', failed_builds: 3 },
      createdBy: 'reconciler',
      now: new Date('2025-06-04T12:00:00Z'),
    });
    expect(result.duplicate).toBe(false);
  });
});
