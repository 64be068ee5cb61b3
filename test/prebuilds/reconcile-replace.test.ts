import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { createWorkspace } from '../../src/prebuilds/create-workspace.js';
import { prebuildsFeature } from '../../src/prebuilds/feature.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import type { TestDaemon } from '../jobs/helpers.js';
import {
  echoDaemon,
  HOUR,
  MIN,
  presetBuilds,
  prebuilds,
  push,
  readyPrebuilds,
  reconcilerFor,
  templateYaml,
  uniqueName,
  waitForIdle,
} from './harness.js';

const db = useTestDatabase();
const clock = new FakeClock(new Date());
let daemon: TestDaemon | undefined;
let app: TestApp;

beforeAll(async () => {
  app = await buildTestApp(db, [prebuildsFeature], { clock });
});
afterAll(async () => {
  await daemon?.stop();
  await app.close();
});

async function startDaemon() {
  daemon = await echoDaemon(db, clock);
}
async function stopDaemon() {
  await daemon?.stop();
  daemon = undefined;
}

const Ws = z.object({ owner_id: z.string(), deleted: z.boolean(), job_status: z.string() });
const workspace = (id: string) =>
  db.pool.one(sql.type(Ws)`
    SELECT w.owner_id, w.deleted, j.job_status::text
    FROM workspaces w
    JOIN LATERAL (SELECT job_id FROM workspace_builds WHERE workspace_id = w.id
                  ORDER BY build_number DESC LIMIT 1) b ON true
    JOIN provisioner_jobs j ON j.id = b.job_id
    WHERE w.id = ${id}`);

describe('replacing prebuilds', () => {
  it('a new template version replaces every old prebuild: expired ones and pending creations too', async () => {
    const name = uniqueName('versions');
    const v1 = await push(db, templateYaml(name, [{ instances: 2, ttlSecs: 3600 }]));
    const oldPreset = v1.presets.p1 as string;
    const reconciler = reconcilerFor(db, clock);
    await startDaemon();
    expect((await reconciler.reconcileOnce()).created).toBe(2);
    await waitForIdle(db.pool);
    expect(await readyPrebuilds(db.pool, oldPreset)).toHaveLength(2);

    // With no daemon, a claim leaves the pool short and the creation that refills it stays pending.
    await stopDaemon();
    const user = await createUser(db.pool);
    const claimed = await createWorkspace(
      db.pool,
      { owner: user, template: name, preset: 'p1', name: 'mine' },
      clock.now(),
    );
    expect(claimed.claimed).toBe(true);
    expect((await reconciler.reconcileOnce()).created).toBe(1);
    const pending = (await prebuilds(db.pool, oldPreset)).find((p) => p.job_status === 'pending');
    expect(pending).toBeDefined();

    // Two hours later the remaining old prebuild is past its TTL, and v2 is pushed.
    clock.advance(2 * HOUR);
    const v2 = await push(db, templateYaml(name, [{ instances: 3, ttlSecs: 3600 }]));
    const newPreset = v2.presets.p1 as string;
    const pass = await reconciler.reconcileOnce();
    expect(pass).toMatchObject({ canceled: 1, deleted: 1, created: 3, errors: 0 });
    expect(await workspace(pending!.id)).toMatchObject({ deleted: true, job_status: 'canceled' });

    await startDaemon();
    await waitForIdle(db.pool);
    expect(await reconciler.reconcileOnce()).toMatchObject({ created: 0, deleted: 0 });
    expect(await prebuilds(db.pool, oldPreset)).toEqual([]);
    expect(await readyPrebuilds(db.pool, newPreset)).toHaveLength(3);
    // The claimed workspace is the user's and untouched.
    expect(await workspace(claimed.workspace.id)).toMatchObject({
      owner_id: user,
      deleted: false,
      job_status: 'succeeded',
    });
  });

  it('prebuilds past the TTL are replaced', async () => {
    const { presets } = await push(
      db,
      templateYaml(uniqueName('ttl'), [{ instances: 2, ttlSecs: 3600 }]),
    );
    const preset = presets.p1 as string;
    const reconciler = reconcilerFor(db, clock);
    expect((await reconciler.reconcileOnce()).created).toBe(2);
    await waitForIdle(db.pool);
    const first = await readyPrebuilds(db.pool, preset);
    expect(first).toHaveLength(2);

    // Other presets of this file have a TTL too: count this preset's builds only.
    clock.advance(30 * MIN);
    await reconciler.reconcileOnce();
    expect(await presetBuilds(db.pool, preset)).toEqual({ start: 2 });
    clock.advance(31 * MIN);
    await reconciler.reconcileOnce();
    expect(await presetBuilds(db.pool, preset)).toEqual({ start: 4, delete: 2 });
    await waitForIdle(db.pool);
    await reconciler.reconcileOnce();
    expect(await presetBuilds(db.pool, preset)).toEqual({ start: 4, delete: 2 });
    const now = await readyPrebuilds(db.pool, preset);
    expect(now).toHaveLength(2);
    expect(now.map((p) => p.id).filter((id) => first.some((f) => f.id === id))).toEqual([]);
  });

  it('POST /presets/:id/invalidate replaces every current prebuild', async () => {
    const { presets } = await push(db, templateYaml(uniqueName('inval'), [{ instances: 2 }]));
    const preset = presets.p1 as string;
    const reconciler = reconcilerFor(db, clock);
    await reconciler.reconcileOnce();
    await waitForIdle(db.pool);
    const first = await readyPrebuilds(db.pool, preset);
    expect(first).toHaveLength(2);

    clock.advance(MIN);
    const response = await app.app.inject({
      method: 'POST',
      url: `/api/v1/presets/${preset}/invalidate`,
      headers: AUTH,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().preset).toMatchObject({
      id: preset,
      preset: 'p1',
      last_invalidated_at: clock.now().toISOString(),
    });
    await reconciler.reconcileOnce();
    expect(await presetBuilds(db.pool, preset)).toEqual({ start: 4, delete: 2 });
    await waitForIdle(db.pool);
    await reconciler.reconcileOnce();
    expect(await presetBuilds(db.pool, preset)).toEqual({ start: 4, delete: 2 });
    const now = await readyPrebuilds(db.pool, preset);
    expect(now).toHaveLength(2);
    expect(now.some((p) => first.some((f) => f.id === p.id))).toBe(false);
  });

  it('invalidate and reset answer 404 for an unknown preset', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      for (const action of ['invalidate', 'reset']) {
        const response = await app.app.inject({
          method: 'POST',
          url: `/api/v1/presets/${id}/${action}`,
          headers: AUTH,
        });
        expect(response.statusCode).toBe(404);
        expect(response.json()).toMatchObject({ code: 'not_found' });
      }
    }
  });
});
