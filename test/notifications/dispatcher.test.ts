import { randomUUID } from 'node:crypto';

import { pino } from 'pino';
import { Registry } from 'prom-client';
import { sql } from 'slonik';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { silentLogger } from '../../src/log/logger.js';
import { logDeliverer, webhookDeliverer } from '../../src/notifications/deliver.js';
import {
  type DispatcherOptions,
  NotificationDispatcher,
} from '../../src/notifications/dispatcher.js';
import { enqueueNotification } from '../../src/notifications/enqueue.js';
import { leaseMessages, markSent, messageById } from '../../src/notifications/queries.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import { WebhookServer } from './webhook-server.js';

const db = useTestDatabase();
const server = new WebhookServer();
const T0 = new Date('2025-06-04T17:30:00Z');

beforeAll(async () => {
  await server.start();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  await db.pool.query(sql.unsafe`DELETE FROM notification_messages`);
  server.received.length = 0;
  server.respond = () => 200;
});

function dispatcher(
  clock: FakeClock,
  overrides: Partial<DispatcherOptions> = {},
): NotificationDispatcher {
  return new NotificationDispatcher({
    db: db.pool,
    logger: silentLogger(),
    registry: new Registry(),
    clock,
    deliverer: webhookDeliverer(server.url, 2_000),
    intervalMs: 1_000,
    leaseMs: 60_000,
    deliveryTimeoutMs: 2_000,
    maxAttempts: 5,
    backoffBaseMs: 30_000,
    backoffMaxMs: 3_600_000,
    ...overrides,
  });
}

async function enqueueReminders(count: number, now = T0): Promise<{ user: string; ids: string[] }> {
  const user = await createUser(db.pool);
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const workspace = randomUUID();
    const result = await enqueueNotification(db.pool, {
      template: 'autostop_reminder',
      userId: user,
      payload: {
        workspace_id: workspace,
        workspace: `dev-${i}`,
        deadline: '2025-06-04T18:00:00.000Z',
      },
      targets: [workspace, user],
      createdBy: 'lifecycle_executor',
      now,
    });
    ids.push(result.id!);
  }
  return { user, ids };
}

const status = async (id: string) => (await messageById.one(db.pool, { id })).status;

describe('webhook delivery', () => {
  it('POSTs the rendered message with its raw payload; 2xx marks it sent', async () => {
    const clock = new FakeClock(T0);
    const registry = new Registry();
    const { user, ids } = await enqueueReminders(3);
    const stats = await dispatcher(clock, { registry }).drain();
    expect(stats).toMatchObject({ leased: 3, delivered: 3, retried: 0, failed: 0 });
    expect(server.received).toHaveLength(3);
    const first = server.received.find((r) => r.body.id === ids[0])!;
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['idempotency-key']).toBe(ids[0]);
    expect(first.body).toMatchObject({
      id: ids[0],
      template: 'autostop_reminder',
      title: 'Workspace "dev-0" will stop soon',
      body: 'Your workspace "dev-0" will stop automatically at 2025-06-04 18:00 UTC (in 30 minutes). Use it or extend its deadline to keep it running.',
      recipient: {
        user_id: user,
        username: expect.any(String) as unknown,
        email: expect.stringContaining('@') as unknown,
      },
      payload: { workspace: 'dev-0', deadline: '2025-06-04T18:00:00.000Z' },
      created_by: 'lifecycle_executor',
      attempt: 1,
    });
    for (const id of ids) expect(await status(id)).toBe('sent');
    const delivered = await registry.getSingleMetric('coderd_notifications_delivered_total')!.get();
    expect(delivered.values.filter((sample) => sample.value > 0)).toEqual([
      { labels: { template: 'autostop_reminder', method: 'webhook' }, value: 3 },
    ]);
    // Nothing left: a second pass leases nothing.
    expect((await dispatcher(clock).drain()).leased).toBe(0);
  });

  it('retries a failing endpoint with exponential backoff until it succeeds', async () => {
    const clock = new FakeClock(T0);
    const registry = new Registry();
    const d = dispatcher(clock, { registry });
    const { ids } = await enqueueReminders(1);
    const id = ids[0]!;
    server.respond = (_request, index) => (index < 2 ? 503 : 200);

    expect(await d.drain()).toMatchObject({ leased: 1, retried: 1 });
    let row = await messageById.one(db.pool, { id });
    expect(row).toMatchObject({ status: 'temporary_failure', attempts: 1 });
    expect(row.status_reason).toContain('webhook answered 503: receiver is unhappy');
    expect(row.send_after.toISOString()).toBe('2025-06-04T17:30:30.000Z'); // +30 s

    expect((await d.drain()).leased).toBe(0); // not before send_after
    clock.advance(30_000);
    expect(await d.drain()).toMatchObject({ leased: 1, retried: 1 });
    row = await messageById.one(db.pool, { id });
    expect(row.send_after.toISOString()).toBe('2025-06-04T17:31:30.000Z'); // +60 s after 17:30:30

    clock.advance(59_999);
    expect((await d.drain()).leased).toBe(0);
    clock.advance(1);
    expect(await d.drain()).toMatchObject({ leased: 1, delivered: 1 });
    row = await messageById.one(db.pool, { id });
    expect(row).toMatchObject({ status: 'sent', attempts: 3 });
    expect(server.received.map((r) => r.body.attempt)).toEqual([1, 2, 3]);
    const failed = await registry.getSingleMetric('coderd_notifications_failed_total')!.get();
    expect(failed.values.filter((sample) => sample.value > 0)).toEqual([
      { labels: { template: 'autostop_reminder', method: 'webhook', kind: 'temporary' }, value: 2 },
    ]);
  });

  it('gives up after max attempts: permanent_failure, never tried again', async () => {
    const clock = new FakeClock(T0);
    const d = dispatcher(clock, { maxAttempts: 3 });
    const { ids } = await enqueueReminders(1);
    server.respond = () => 500;
    for (let i = 0; i < 3; i += 1) {
      await d.drain();
      clock.advance(3_600_000);
    }
    const row = await messageById.one(db.pool, { id: ids[0]! });
    expect(row).toMatchObject({ status: 'permanent_failure', attempts: 3 });
    expect(server.received).toHaveLength(3);
    clock.advance(7 * 86_400_000);
    expect((await d.drain()).leased).toBe(0);
    expect(server.received).toHaveLength(3);
  });

  it('counts a refused connection as a failed attempt', async () => {
    const clock = new FakeClock(T0);
    const d = dispatcher(clock, {
      deliverer: webhookDeliverer('http://127.0.0.1:9/nowhere', 2_000),
    });
    const { ids } = await enqueueReminders(1);
    expect(await d.drain()).toMatchObject({ retried: 1 });
    const row = await messageById.one(db.pool, { id: ids[0]! });
    expect(row.status).toBe('temporary_failure');
    expect(row.status_reason).toContain('webhook request failed');
  });
});

describe('several dispatchers', () => {
  it('two dispatchers over the same messages never deliver one twice', async () => {
    const clock = new FakeClock(T0);
    const { ids } = await enqueueReminders(60);
    // Slow receiver so both dispatchers are busy at the same time.
    server.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 5));
    const a = dispatcher(clock, { batchSize: 7 });
    const b = dispatcher(clock, { batchSize: 7 });
    const [sa, sb] = await Promise.all([a.drain(), b.drain()]);
    expect(sa.delivered + sb.delivered).toBe(60);
    expect(sa.delivered).toBeGreaterThan(0);
    expect(sb.delivered).toBeGreaterThan(0);
    const counts = server.countsById();
    expect(counts.size).toBe(60);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const id of ids) expect(await status(id)).toBe('sent');
  });

  it('takes over the lease of a dispatcher that died, and the dead one cannot record an outcome', async () => {
    const clock = new FakeClock(T0);
    const { ids } = await enqueueReminders(1);
    // A dispatcher leases the message, then dies before delivering it.
    const leased = await leaseMessages.any(db.pool, {
      worker: 'dead',
      now: T0,
      lease_ms: 60_000,
      limit: 10,
    });
    expect(leased.map((m) => m.id)).toEqual(ids);
    const survivor = dispatcher(clock);
    expect((await survivor.drain()).leased).toBe(0); // lease still valid
    clock.advance(60_000);
    expect((await survivor.drain()).leased).toBe(0); // expires strictly after leased_until
    clock.advance(1);
    expect(await survivor.drain()).toMatchObject({ leased: 1, delivered: 1 });
    expect(server.received.map((r) => r.body.attempt)).toEqual([2]);
    // The dead dispatcher coming back cannot overwrite the outcome.
    expect(
      await markSent.maybeOne(db.pool, { id: ids[0]!, worker: 'dead', now: clock.now() }),
    ).toBeNull();
    expect(await status(ids[0]!)).toBe('sent');
  });

  it('a message whose final attempt was interrupted is not sent again', async () => {
    const clock = new FakeClock(T0);
    const { ids } = await enqueueReminders(1);
    await leaseMessages.any(db.pool, { worker: 'dead', now: T0, lease_ms: 1_000, limit: 10 });
    clock.advance(2_000);
    expect(await dispatcher(clock, { maxAttempts: 1 }).drain()).toMatchObject({
      leased: 1,
      failed: 1,
    });
    expect(server.received).toHaveLength(0);
    const row = await messageById.one(db.pool, { id: ids[0]! });
    expect(row).toMatchObject({
      status: 'permanent_failure',
      status_reason: 'the final attempt was interrupted',
    });
  });
});

describe('log delivery', () => {
  it('logs each message when no webhook is configured', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const clock = new FakeClock(T0);
    const registry = new Registry();
    const { ids } = await enqueueReminders(1);
    const d = dispatcher(clock, { deliverer: logDeliverer(logger), registry });
    expect(await d.drain()).toMatchObject({ delivered: 1 });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'Workspace "dev-0" will stop soon',
        notification: expect.objectContaining({
          id: ids[0],
          template: 'autostop_reminder',
        }) as unknown,
      }),
    );
    expect(await status(ids[0]!)).toBe('sent');
    const delivered = await registry.getSingleMetric('coderd_notifications_delivered_total')!.get();
    expect(delivered.values.filter((sample) => sample.value > 0).map((s) => s.labels)).toEqual([
      { template: 'autostop_reminder', method: 'log' },
    ]);
  });
});

describe('configuration', () => {
  it('refuses a lease shorter than twice the delivery timeout', () => {
    expect(() =>
      dispatcher(new FakeClock(T0), { leaseMs: 3_000, deliveryTimeoutMs: 2_000 }),
    ).toThrow(/lease \(3000 ms\) must be at least twice the delivery timeout/);
  });
});
