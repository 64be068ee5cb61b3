import { sql } from 'slonik';
import { afterEach, describe, expect, it } from 'vitest';

import { Listener } from '../../src/db/listener.js';
import { silentLogger } from '../../src/log/logger.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.stop()));
});

function waitFor<T>(register: (resolve: (value: T) => void) => void, ms = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting')), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

describe('Listener', () => {
  it('delivers notifications, also for channels subscribed after connecting', async () => {
    const listener = new Listener(db.url, silentLogger());
    listeners.push(listener);
    await listener.start();
    const received = waitFor<string>((resolve) => listener.on('test_late', resolve));
    await new Promise((r) => setTimeout(r, 100)); // the LISTEN is issued asynchronously
    await db.pool.query(sql.unsafe`SELECT pg_notify('test_late', 'hello')`);
    expect(await received).toBe('hello');
  });

  it('reconnects after its backend is killed, re-LISTENs, and tells consumers to catch up', async () => {
    const listener = new Listener(db.url, silentLogger(), { minBackoffMs: 10, maxBackoffMs: 50 });
    listeners.push(listener);
    const payloads: string[] = [];
    listener.on('test_reconnect', (payload) => payloads.push(payload));
    await listener.start();
    const reconnected = waitFor<void>((resolve) => listener.onReconnect(resolve));
    await db.pool.query(sql.unsafe`
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'prebuild-controller listener' AND datname = current_database()`);
    await reconnected;
    expect(listener.connected).toBe(true);
    const received = waitFor<string>((resolve) => listener.on('test_reconnect', resolve));
    await db.pool.query(sql.unsafe`SELECT pg_notify('test_reconnect', 'after')`);
    expect(await received).toBe('after');
    expect(payloads).toContain('after');
  });

  it('keeps retrying while the database is unreachable and never throws from start()', async () => {
    const url = new URL(db.url);
    url.port = '1';
    const listener = new Listener(url.toString(), silentLogger(), {
      minBackoffMs: 5,
      maxBackoffMs: 20,
    });
    listeners.push(listener);
    await expect(listener.start()).resolves.toBeUndefined();
    expect(listener.connected).toBe(false);
  });
});
