import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { prebuildsFeature } from '../../src/prebuilds/feature.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import type { TestDaemon } from '../jobs/helpers.js';
import { metricValue, parseExposition } from './exposition.js';
import {
  echoDaemon,
  HOUR,
  MIN,
  presetBuilds,
  push,
  reconcilerFor,
  templateYaml,
  uniqueName,
  waitForIdle,
} from './harness.js';

const db = useTestDatabase();
const clock = new FakeClock('2026-03-02T10:00:00Z');
let daemon: TestDaemon;
let app: TestApp;

const CONFIG = { prebuildDeleteRetryLimit: '3', prebuildCleanupGrace: '0s' };
const OPTIONS = { deleteRetryLimit: 3, cleanupGraceMs: 0 };

beforeAll(async () => {
  app = await buildTestApp(db, [prebuildsFeature], { clock, config: CONFIG });
  daemon = await echoDaemon(db, clock);
});
afterAll(async () => {
  await daemon?.stop();
  await app.close();
});

const Message = z.object({ user_id: z.string().nullable(), payload: z.record(z.unknown()) });
const givenUpMessages = () =>
  db.pool.any(sql.type(Message)`
    SELECT user_id, payload FROM notification_messages
    WHERE template = 'prebuild_delete_given_up' ORDER BY created_at`);

async function presetStatus(id: string) {
  const response = await app.app.inject({ method: 'GET', url: '/api/v1/presets', headers: AUTH });
  expect(response.statusCode).toBe(200);
  return response.json().presets.find((p: { id: string }) => p.id === id);
}

describe('failed prebuild deletes', () => {
  it('back off per workspace, stop at the retry limit with one notification, and show in status and metrics', async () => {
    const name = uniqueName('undeletable');
    const yaml = (instances: number) =>
      templateYaml(name, [
        { name: 'p', instances, parameters: { echo_fail_transitions: 'delete' } },
      ]);
    const { presets } = await push(db, yaml(1));
    const preset = presets.p as string;
    const reconciler = reconcilerFor(db, clock, { options: OPTIONS });
    expect((await reconciler.reconcileOnce()).created).toBe(1);
    await waitForIdle(db.pool);
    // A new version asks for none: the prebuild of the old one is deleted, and the delete fails.
    await push(db, yaml(0));
    clock.advance(1_000);
    expect((await reconciler.reconcileOnce()).deleted).toBe(1);
    await waitForIdle(db.pool);

    // Failure n waits 1 min x 2^(n-1) (the creation backoff's schedule), not one pass (before:
    // retried on every pass once the grace period had passed).
    for (const wait of [MIN, 2 * MIN]) {
      const failedAt = clock.now().getTime();
      expect((await reconciler.reconcileOnce()).deleted).toBe(0);
      const [failed] = (await presetStatus(preset)).failed_deletes;
      expect(new Date(failed.retry_at).getTime() - failedAt).toBe(wait);
      clock.set(new Date(failedAt + wait - 1_000));
      expect((await reconciler.reconcileOnce()).deleted).toBe(0);
      clock.set(new Date(failedAt + wait));
      expect((await reconciler.reconcileOnce()).deleted).toBe(1);
      await waitForIdle(db.pool);
    }
    expect(await presetBuilds(db.pool, preset)).toEqual({ start: 1, delete: 3 });

    // The third failure reaches the limit: recorded, one notification, no more retries.
    const limited = await reconciler.reconcileOnce();
    expect(limited).toMatchObject({ deleted: 0, statusChanges: 1 });
    const [givenUp] = (await presetStatus(preset)).failed_deletes;
    expect(givenUp).toMatchObject({ failures: 3, retry_at: null });
    for (let pass = 0; pass < 3; pass++) {
      clock.advance(HOUR);
      expect(await reconciler.reconcileOnce()).toMatchObject({ deleted: 0, statusChanges: 0 });
    }
    expect(await presetBuilds(db.pool, preset)).toEqual({ start: 1, delete: 3 });
    const messages = await givenUpMessages();
    expect(messages.filter((m) => m.payload.workspace_id === givenUp.workspace_id)).toEqual([
      {
        user_id: null, // no template admin: the operators' channel
        payload: {
          template: name,
          preset: 'p',
          workspace_id: givenUp.workspace_id,
          workspace: givenUp.workspace,
          failed_deletes: 3,
        },
      },
    ]);
    const metrics = parseExposition(
      (await app.app.inject({ method: 'GET', url: '/metrics' })).body,
    );
    const labels = { template_name: name, preset_name: 'p', organization_name: 'default' };
    expect(metricValue(metrics, 'coderd_prebuilt_workspaces_delete_given_up', labels)).toBe(1);
    expect(metricValue(metrics, 'coderd_prebuilt_workspaces_delete_backing_off', labels)).toBe(0);
  });
});
