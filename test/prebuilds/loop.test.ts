import { sql } from 'slonik';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { Listener } from '../../src/db/listener.js';
import { silentLogger } from '../../src/log/logger.js';
import { createWorkspace } from '../../src/prebuilds/create-workspace.js';
import type { PrebuildReconciler } from '../../src/prebuilds/reconciler.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import type { TestDaemon } from '../jobs/helpers.js';
import {
  echoDaemon,
  HOUR,
  push,
  readyPrebuilds,
  reconcilerFor,
  templateYaml,
  uniqueName,
} from './harness.js';

const db = useTestDatabase();
let daemon: TestDaemon;
let listener: Listener;
let reconciler: PrebuildReconciler | undefined;

beforeAll(async () => {
  daemon = await echoDaemon(db, systemClock);
  listener = new Listener(db.url, silentLogger(), { minBackoffMs: 10, maxBackoffMs: 50 });
  await listener.start();
});
afterEach(async () => {
  await reconciler?.stop(new Date(Date.now() + 5_000));
  reconciler = undefined;
});
afterAll(async () => {
  await daemon.stop();
  await listener.stop();
});

/** A running reconciler whose interval never fires during a test: only wake-ups make passes. */
async function startReconciler(clock: Clock = systemClock) {
  const started = reconcilerFor(db, clock, { listener, debounceMs: 20 });
  const passes = vi.spyOn(started, 'reconcileOnce');
  await started.start();
  reconciler = started;
  // The pass at start.
  await vi.waitFor(() => expect(passes).toHaveBeenCalledTimes(1));
  await vi.waitFor(() => expect(started.lastStats).toBeDefined());
  return { reconciler: started, passes };
}

describe('the reconciler loop', () => {
  it('passes when a template is pushed, and refills the pool after a claim', async () => {
    await startReconciler();
    const name = uniqueName('loop');
    const { presets } = await push(db, templateYaml(name, [{ name: 'p', instances: 2 }]));
    // Created on the push's NOTIFY, ready after the builds' completion NOTIFYs.
    await vi.waitFor(
      async () => expect(await readyPrebuilds(db.pool, presets.p as string)).toHaveLength(2),
      { timeout: 10_000, interval: 50 },
    );
    const owner = await createUser(db.pool);
    const claimed = await createWorkspace(
      db.pool,
      { owner, template: name, preset: 'p', name: 'mine' },
      new Date(),
    );
    expect(claimed.claimed).toBe(true);
    await vi.waitFor(
      async () => {
        const ready = await readyPrebuilds(db.pool, presets.p as string);
        expect(ready).toHaveLength(2);
        expect(ready.map((p) => p.id)).not.toContain(claimed.workspace.id);
      },
      { timeout: 10_000, interval: 50 },
    );
  });

  it('turns a burst of notifications into a pass or two, not one each', async () => {
    const { passes } = await startReconciler();
    await db.pool.query(sql.unsafe`
      SELECT pg_notify('prebuild_controller_reconcile', '{"reason":"test"}')
      FROM generate_series(1, 50)`);
    await vi.waitFor(() => expect(passes.mock.calls.length).toBeGreaterThanOrEqual(2));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(passes.mock.calls.length).toBeLessThanOrEqual(3);
  });

  it('passes after the listener reconnects (notifications may have been lost)', async () => {
    const { passes } = await startReconciler();
    await db.pool.query(sql.unsafe`
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'prebuild-controller listener'`);
    await vi.waitFor(() => expect(passes.mock.calls.length).toBeGreaterThanOrEqual(2), {
      timeout: 5_000,
    });
  });

  it('passes when a prebuild expires, without waiting for the interval (an hour)', async () => {
    // The reconciler's clock runs with the real one, shifted by `skew` (moved by the test).
    let skew = 0;
    const clock = { now: () => new Date(Date.now() + skew) };
    const { passes } = await startReconciler(clock);
    const name = uniqueName('ttl');
    const yaml = templateYaml(name, [{ name: 'p', instances: 1, ttlSecs: 3600 }]);
    const preset = (await push(db, yaml)).presets.p as string;
    await vi.waitFor(async () => expect(await readyPrebuilds(db.pool, preset)).toHaveLength(1), {
      timeout: 10_000,
      interval: 50,
    });
    const [first] = await readyPrebuilds(db.pool, preset);
    // Almost an hour later: the prebuild expires in 2 s. One pass on a NOTIFY sees that.
    skew = HOUR - 2_000;
    const before = passes.mock.calls.length;
    await db.pool.query(sql.unsafe`SELECT pg_notify('prebuild_controller_reconcile', '{}')`);
    await vi.waitFor(() => expect(passes.mock.calls.length).toBeGreaterThan(before));
    // No NOTIFY comes at the expiry: only the pass scheduled for it replaces the prebuild.
    await vi.waitFor(
      async () => {
        const ready = await readyPrebuilds(db.pool, preset);
        expect(ready.map((p) => p.id)).not.toContain(first!.id);
        expect(ready).toHaveLength(1);
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('stops: no pass after stop, whatever arrives', async () => {
    const { reconciler: running, passes } = await startReconciler();
    await running.stop(new Date(Date.now() + 5_000));
    reconciler = undefined;
    const before = passes.mock.calls.length;
    await db.pool.query(sql.unsafe`SELECT pg_notify('prebuild_controller_reconcile', '{}')`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(passes.mock.calls.length).toBe(before);
  });
});
