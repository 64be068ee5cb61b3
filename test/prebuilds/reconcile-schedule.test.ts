import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_PREBUILD_OPTIONS } from '../../src/domain/prebuilds/options.js';
import { presetsStatus } from '../../src/prebuilds/admin.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import type { TestDaemon } from '../jobs/helpers.js';
import {
  echoDaemon,
  presetBuilds,
  push,
  readyPrebuilds,
  reconcilerFor,
  templateYaml,
  uniqueName,
  waitForIdle,
} from './harness.js';

const db = useTestDatabase();
// A Monday, before the 08:00-18:59 UTC window.
const clock = new FakeClock('2026-03-02T07:30:00Z');
let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await echoDaemon(db, clock);
});
afterAll(async () => {
  await daemon.stop();
});

async function scheduleOf(presetId: string) {
  const status = await presetsStatus(db.pool, clock.now(), DEFAULT_PREBUILD_OPTIONS);
  const row = status.presets.find((p) => p.id === presetId);
  return { desired: row?.desired, schedule: row?.schedule };
}

describe('a schedule crossing its boundary', () => {
  it('raises the pool at 08:00 and lowers it at 19:00, deleting not-ready before ready, then oldest', async () => {
    const { presets } = await push(
      db,
      templateYaml(uniqueName('sched'), [
        { instances: 1, schedule: [{ cron: '* 8-18 * * *', instances: 3 }] },
      ]),
    );
    const preset = presets.p1 as string;
    const reconciler = reconcilerFor(db, clock);

    expect(await scheduleOf(preset)).toMatchObject({
      desired: 1,
      schedule: {
        current: null,
        next_change_at: '2026-03-02T08:00:00.000Z',
        next_desired: 3,
      },
    });
    expect((await reconciler.reconcileOnce()).created).toBe(1);
    await waitForIdle(db.pool);
    const [first] = await readyPrebuilds(db.pool, preset);

    clock.set('2026-03-02T07:59:59Z');
    expect((await reconciler.reconcileOnce()).created).toBe(0);
    clock.set('2026-03-02T08:00:00Z');
    expect(await scheduleOf(preset)).toMatchObject({
      desired: 3,
      schedule: {
        current: '* 8-18 * * *',
        next_change_at: '2026-03-02T19:00:00.000Z',
        next_desired: 1,
      },
    });
    expect((await reconciler.reconcileOnce()).created).toBe(2);
    await waitForIdle(db.pool);
    const pool = await readyPrebuilds(db.pool, preset);
    expect(pool).toHaveLength(3);

    // One of the two newer prebuilds stops being ready (its agent restarts).
    const [second, third] = pool.filter((p) => p.id !== first!.id);
    await db.pool.query(sql.unsafe`
      UPDATE workspace_agents SET lifecycle_state = 'starting'
      WHERE workspace_id = ${second!.id}`);

    clock.set('2026-03-02T18:59:59Z');
    expect((await reconciler.reconcileOnce()).deleted).toBe(0);
    clock.set('2026-03-02T19:00:00Z');
    expect(await reconciler.reconcileOnce()).toMatchObject({ deleted: 2, created: 0 });
    await waitForIdle(db.pool);
    // The not-ready one went first, then the oldest ready one; the newest ready one stays.
    expect((await readyPrebuilds(db.pool, preset)).map((p) => p.id)).toEqual([third!.id]);
    expect(await presetBuilds(db.pool, preset)).toEqual({ start: 3, delete: 2 });
    expect((await reconciler.reconcileOnce()).deleted).toBe(0);
  });
});
