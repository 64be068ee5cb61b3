import { randomUUID } from 'node:crypto';

import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { Listener } from '../../src/db/listener.js';
import { silentLogger } from '../../src/log/logger.js';
import { enqueueNotification } from '../../src/notifications/enqueue.js';
import { messageById } from '../../src/notifications/queries.js';
import { notificationsFeature } from '../../src/notifications/feature.js';
import { FEATURES } from '../../src/service/features.js';
import { systemClock } from '../../src/util/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import { WebhookServer } from './webhook-server.js';

const db = useTestDatabase();
const server = new WebhookServer();
let listener: Listener;

beforeAll(async () => {
  await server.start();
  listener = new Listener(db.url, silentLogger());
  await listener.start();
});
afterAll(async () => {
  await listener.stop();
  await server.stop();
});

it('is hosted by `run`', () => {
  expect(FEATURES).toContain(notificationsFeature);
});

it('runs a dispatcher that an enqueue wakes through LISTEN/NOTIFY', async () => {
  // A one-hour poll: a delivery within seconds can only come from the NOTIFY wake-up.
  const config = loadConfig(
    { notificationsWebhook: server.url, notificationDispatchInterval: '1h' },
    {},
  );
  const feature = notificationsFeature({
    config,
    logger: silentLogger(),
    pool: db.pool,
    listener,
    registry: new Registry(),
    clock: systemClock,
    databaseUrl: db.url,
  });
  const [component] = feature.components ?? [];
  expect(component?.name).toBe('notification-dispatcher');
  await component!.start();
  try {
    // Let the first (empty) pass finish so the dispatcher is asleep when the message arrives.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const user = await createUser(db.pool);
    const workspace = randomUUID();
    const { id } = await enqueueNotification(db.pool, {
      template: 'workspace_dormant',
      userId: user,
      payload: { workspace_id: workspace, workspace: 'dev', reason: 'it was not used for 30 days' },
      createdBy: 'test',
      now: systemClock.now(),
    });
    await expect.poll(() => server.received.length, { timeout: 10_000 }).toBe(1);
    expect(server.received[0]?.body).toMatchObject({
      id,
      title: 'Workspace "dev" is dormant',
      body: 'Your workspace "dev" was marked dormant because it was not used for 30 days.',
    });
    await expect
      .poll(async () => (await messageById.one(db.pool, { id: id! })).status)
      .toBe('sent');
  } finally {
    await component!.stop(new Date(Date.now() + 5_000));
  }
});
