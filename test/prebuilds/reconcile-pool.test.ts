import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_PREBUILD_OPTIONS } from '../../src/domain/prebuilds/options.js';
import { silentLogger } from '../../src/log/logger.js';
import { executePlans } from '../../src/prebuilds/execute.js';
import { readReconcileGeneration, setReconciliationPaused } from '../../src/prebuilds/settings.js';
import { loadStateView } from '../../src/prebuilds/state-view.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import type { TestDaemon } from '../jobs/helpers.js';
import {
  echoDaemon,
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
let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await echoDaemon(db, clock);
});
afterAll(async () => {
  await daemon.stop();
});

describe('a pool of prebuilds', () => {
  it('a push of instances: 3 gives exactly 3 ready prebuilds, and 10 more passes change nothing', async () => {
    const { presets } = await push(db, templateYaml(uniqueName('pool'), [{ instances: 3 }]));
    const preset = presets.p1 as string;
    const reconciler = reconcilerFor(db, clock);

    const first = await reconciler.reconcileOnce();
    expect(first).toMatchObject({ outcome: 'reconciled', created: 3, deleted: 0, errors: 0 });
    await waitForIdle(db.pool);
    expect(await readyPrebuilds(db.pool, preset)).toHaveLength(3);

    const before = await presetBuilds(db.pool, preset);
    expect(before).toEqual({ start: 3 });
    for (let pass = 0; pass < 10; pass++) {
      clock.advance(15_000);
      const stats = await reconciler.reconcileOnce();
      expect(stats).toMatchObject({
        outcome: 'reconciled',
        created: 0,
        deleted: 0,
        canceled: 0,
        statusChanges: 0,
        errors: 0,
      });
    }
    expect(await presetBuilds(db.pool, preset)).toEqual(before);
    expect(await readyPrebuilds(db.pool, preset)).toHaveLength(3);
  });

  it('two reconcilers running at once never create more than desired', async () => {
    const { presets } = await push(db, templateYaml(uniqueName('twin'), [{ instances: 5 }]));
    const preset = presets.p1 as string;
    const a = reconcilerFor(db, clock);
    const b = reconcilerFor(db, clock);
    const outcomes: string[] = [];
    for (let round = 0; round < 12; round++) {
      const [x, y] = await Promise.all([a.reconcileOnce(), b.reconcileOnce()]);
      outcomes.push(x.outcome, y.outcome);
      // Whatever the interleaving, the preset never has more creations than it wants.
      expect((await presetBuilds(db.pool, preset)).start ?? 0).toBeLessThanOrEqual(5);
      expect((await prebuilds(db.pool, preset)).length).toBeLessThanOrEqual(5);
    }
    await waitForIdle(db.pool);
    await a.reconcileOnce();
    expect(await presetBuilds(db.pool, preset)).toEqual({ start: 5 });
    expect(await readyPrebuilds(db.pool, preset)).toHaveLength(5);
    expect(outcomes).toContain('reconciled');
  });

  it('bumps the reconcile generation after a pass that wrote, not after one that did not', async () => {
    const { presets } = await push(db, templateYaml(uniqueName('gen'), [{ instances: 1 }]));
    const reconciler = reconcilerFor(db, clock);
    const before = await readReconcileGeneration(db.pool);
    expect((await reconciler.reconcileOnce()).created).toBe(1);
    expect(await readReconcileGeneration(db.pool)).toBe(before + 1);
    await waitForIdle(db.pool);
    expect((await reconciler.reconcileOnce()).created).toBe(0);
    expect(await readReconcileGeneration(db.pool)).toBe(before + 1);
    expect(await readyPrebuilds(db.pool, presets.p1 as string)).toHaveLength(1);
  });

  it('pause stops every action (the pass records it and does nothing); resume restarts', async () => {
    const { presets } = await push(db, templateYaml(uniqueName('pause'), [{ instances: 2 }]));
    const preset = presets.p1 as string;
    const reconciler = reconcilerFor(db, clock);
    await setReconciliationPaused(db.pool, true, clock.now(), 'test');
    try {
      for (let pass = 0; pass < 3; pass++) {
        expect(await reconciler.reconcileOnce()).toMatchObject({ outcome: 'paused', created: 0 });
      }
      expect(await presetBuilds(db.pool, preset)).toEqual({});
    } finally {
      await setReconciliationPaused(db.pool, false, clock.now(), 'test');
    }
    expect(await reconciler.reconcileOnce()).toMatchObject({ outcome: 'reconciled', created: 2 });
    await waitForIdle(db.pool);
    expect(await readyPrebuilds(db.pool, preset)).toHaveLength(2);
  });
});

describe('executePlans', () => {
  it('clamps a create count above desired to desired (a wrong decision must not flood the queue)', async () => {
    const { presets } = await push(db, templateYaml(uniqueName('clamp'), [{ instances: 2 }]));
    const preset = presets.p1 as string;
    const view = await loadStateView(db.pool, clock.now(), DEFAULT_PREBUILD_OPTIONS);
    const plan = view.plans.find((p) => p.preset.id === preset)!;
    const wrong = {
      ...plan,
      actions: [{ type: 'create' as const, count: 7, reason: 'create 7: a broken decision' }],
    };
    const outcome = await executePlans([wrong], {
      db: db.pool,
      log: silentLogger(),
      options: DEFAULT_PREBUILD_OPTIONS,
      now: clock.now(),
      concurrency: 3,
    });
    expect(outcome).toMatchObject({ created: 2, errors: 0 });
    expect(await presetBuilds(db.pool, preset)).toEqual({ start: 2 });
    await waitForIdle(db.pool);
  });
});
