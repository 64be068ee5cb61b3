import { beforeEach, describe, expect, it, vi } from 'vitest';

import { lifecycleNextDue } from '../../src/lifecycle/queries.js';
import { scheduleTick } from '../../src/lifecycle/scheduler.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/util/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { at, buildsOf, DAY, HOUR, isolate, MIN, plus, testService } from './harness.js';
import { lifecycleWorkspace } from './setup.js';

const db = useTestDatabase();
beforeEach(() => isolate(db.pool));

const NOW = at('2025-06-04T12:00:00Z');
const nextDue = async (now = NOW, horizonMs = HOUR) =>
  (await lifecycleNextDue.one(db.pool, { now, horizon_ms: horizonMs })).next_due_at;

describe('the next due instant (the scheduler wakes then)', () => {
  it('is null when nothing is pending', async () => {
    await lifecycleWorkspace(db.pool, { build: { createdAt: plus(NOW, -HOUR) } });
    expect(await nextDue()).toBeNull();
  });

  it('is a stop deadline, to the millisecond', async () => {
    await lifecycleWorkspace(db.pool, { build: { deadline: plus(NOW, 12_345) } });
    await lifecycleWorkspace(db.pool, { build: { deadline: plus(NOW, 2 * HOUR) } });
    expect(await nextDue()).toEqual(plus(NOW, 12_345));
  });

  it("is a reminder window's opening", async () => {
    await lifecycleWorkspace(db.pool, {
      template: { timeTilAutostopNotifyMs: 30 * MIN },
      build: { deadline: plus(NOW, 40 * MIN) },
    });
    expect(await nextDue()).toEqual(plus(NOW, 10 * MIN));
  });

  it('is the end of a failed build\u2019s failure_ttl', async () => {
    await lifecycleWorkspace(db.pool, {
      template: { failureTtlMs: 10 * MIN },
      build: { jobState: 'failed', createdAt: plus(NOW, -MIN), completedAt: plus(NOW, -MIN) },
    });
    expect(await nextDue()).toEqual(plus(NOW, 9 * MIN + 1));
  });

  it('is the instant a workspace becomes idle past the dormancy threshold', async () => {
    await lifecycleWorkspace(db.pool, {
      template: { timeTilDormantMs: DAY },
      workspace: { lastUsedAt: plus(NOW, -DAY + 90_000) },
      build: { transition: 'stop', createdAt: plus(NOW, -DAY) },
    });
    expect(await nextDue()).toEqual(plus(NOW, 90_001));
  });

  it('is a dormant workspace\u2019s deletion date', async () => {
    await lifecycleWorkspace(db.pool, {
      template: { timeTilDormantMs: DAY, timeTilDormantAutodeleteMs: DAY },
      workspace: { dormantAt: plus(NOW, -DAY), deletingAt: plus(NOW, 5_000) },
      build: { transition: 'stop', createdAt: plus(NOW, -2 * DAY) },
    });
    expect(await nextDue()).toEqual(plus(NOW, 5_001));
  });

  it('is a cached next start', async () => {
    await lifecycleWorkspace(db.pool, {
      workspace: {
        autostartSchedule: 'CRON_TZ=UTC 30 12 * * *',
        nextStartAt: at('2025-06-04T12:30:00Z'),
      },
      build: { transition: 'stop', createdAt: plus(NOW, -HOUR) },
    });
    expect(await nextDue()).toEqual(at('2025-06-04T12:30:00Z'));
  });

  it('comes back from a scheduling tick that looks ahead', async () => {
    await lifecycleWorkspace(db.pool, { build: { deadline: plus(NOW, 12_345) } });
    const deps = { pool: db.pool, logger: silentLogger(), activeWindowMs: 15 * MIN };
    expect((await scheduleTick(deps, NOW)).nextDueAt).toBeNull();
    expect((await scheduleTick({ ...deps, lookAheadMs: MIN }, NOW)).nextDueAt).toEqual(
      plus(NOW, 12_345),
    );
  });
});

describe('the lifecycle loop', () => {
  it('stops a workspace at its deadline although the interval is an hour', async () => {
    const deadline = new Date(Date.now() + 1_500);
    const f = await lifecycleWorkspace(db.pool, {
      build: { createdAt: new Date(Date.now() - HOUR), deadline },
    });
    const { service } = testService(db.pool, { clock: systemClock, intervalMs: HOUR });
    await service.start();
    try {
      await vi.waitFor(
        async () =>
          expect((await buildsOf(db.pool, f.workspaceId)).map((b) => b.reason)).toEqual([
            'initiator',
            'autostop',
          ]),
        { timeout: 10_000, interval: 100 },
      );
      const stop = (await buildsOf(db.pool, f.workspaceId))[1]!;
      // Never early (how late is measured in bench/, not asserted here).
      expect(stop.created_at.getTime()).toBeGreaterThanOrEqual(deadline.getTime());
    } finally {
      await service.stop(new Date(Date.now() + 5_000));
    }
  });
});
