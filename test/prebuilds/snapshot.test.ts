import { sql } from 'slonik';
import { beforeAll, describe, expect, it } from 'vitest';

import { withTransaction } from '../../src/db/tx.js';
import { DEFAULT_PREBUILD_OPTIONS } from '../../src/domain/prebuilds/options.js';
import { planAll } from '../../src/domain/prebuilds/plan.js';
import type { GlobalSnapshot } from '../../src/domain/prebuilds/types.js';
import { loadSnapshot } from '../../src/prebuilds/snapshot.js';
import { useTestDatabase } from '../helpers/db.js';
import { createPrebuild, SYSTEM_USER_ID } from '../helpers/fixtures.js';
import { ago, buildScenario, HOUR, id, MIN, nameOf, NOW } from './snapshot-scenario.js';

const db = useTestDatabase();

let snapshot: GlobalSnapshot;

beforeAll(async () => {
  await buildScenario(db.pool);
  snapshot = await withTransaction(
    db.pool,
    { isolation: 'repeatable read', readOnly: true },
    (tx) => loadSnapshot(tx, NOW, DEFAULT_PREBUILD_OPTIONS),
  );
});

describe('loadSnapshot', () => {
  it('returns active presets with prebuilds, plus inactive ones that still have something', () => {
    const rows = snapshot.presets.map((p) => ({
      preset: nameOf(p.id),
      template: p.templateName,
      version: p.templateVersionName,
      active: p.usingActiveVersion,
      deleted: p.templateDeleted,
      deprecated: p.templateDeprecated,
      desired: p.desiredInstances,
    }));
    expect(rows).toEqual([
      {
        preset: 'P0',
        template: 'dev',
        version: 'v1',
        active: false,
        deleted: false,
        deprecated: false,
        desired: 2,
      },
      {
        preset: 'P1',
        template: 'dev',
        version: 'v2',
        active: true,
        deleted: false,
        deprecated: false,
        desired: 3,
      },
      {
        preset: 'P5',
        template: 'flaky',
        version: 'f1',
        active: true,
        deleted: false,
        deprecated: false,
        desired: 1,
      },
      {
        preset: 'P6',
        template: 'flaky',
        version: 'f1',
        active: true,
        deleted: false,
        deprecated: false,
        desired: 1,
      },
      {
        preset: 'P7',
        template: 'flaky',
        version: 'f1',
        active: true,
        deleted: false,
        deprecated: false,
        desired: 1,
      },
      {
        preset: 'P3',
        template: 'gone',
        version: 'g1',
        active: true,
        deleted: true,
        deprecated: false,
        desired: 1,
      },
      {
        preset: 'P4',
        template: 'old',
        version: 'o1',
        active: true,
        deleted: false,
        deprecated: true,
        desired: 1,
      },
    ]);
  });

  it('carries the preset settings and the schedules in config order', () => {
    const p1 = snapshot.presets.find((p) => p.id === id('P1'));
    expect(p1).toMatchObject({
      name: 'p1',
      organizationName: 'default',
      ttlSecs: 3600,
      schedulingTimezone: 'Europe/Paris',
      prebuildStatus: 'healthy',
      lastInvalidatedAt: ago(2 * HOUR),
      failureLimitResetAt: null,
      schedules: [
        { cron: '* 8-18 * * 1-5', instances: 5 },
        { cron: '* 8-14 * * 6', instances: 1 },
      ],
    });
    expect(snapshot.presets.find((p) => p.id === id('P6'))?.failureLimitResetAt).toEqual(
      ago(20 * MIN),
    );
  });

  it('returns running prebuilds with readiness and current preset', () => {
    const rows = snapshot.running
      .map((r) => ({
        name: nameOf(r.id),
        preset: nameOf(r.presetId),
        ready: r.ready,
        createdAt: r.createdAt,
        owner: r.ownerId,
      }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
    expect(rows).toEqual([
      {
        name: 'no-agent',
        preset: 'P1',
        ready: false,
        createdAt: ago(30 * MIN),
        owner: SYSTEM_USER_ID,
      },
      {
        name: 'not-ready',
        preset: 'P1',
        ready: false,
        createdAt: ago(40 * MIN),
        owner: SYSTEM_USER_ID,
      },
      {
        name: 'p0-running',
        preset: 'P0',
        ready: true,
        createdAt: ago(9 * HOUR),
        owner: SYSTEM_USER_ID,
      },
      {
        name: 'p3-running',
        preset: 'P3',
        ready: true,
        createdAt: ago(HOUR),
        owner: SYSTEM_USER_ID,
      },
      { name: 'ready', preset: 'P1', ready: true, createdAt: ago(50 * MIN), owner: SYSTEM_USER_ID },
      {
        name: 'restarted',
        preset: 'P1',
        ready: true,
        createdAt: ago(45 * MIN),
        owner: SYSTEM_USER_ID,
      },
      {
        name: 'superseded',
        preset: 'P1',
        ready: true,
        createdAt: ago(35 * MIN),
        owner: SYSTEM_USER_ID,
      },
    ]);
  });

  it('counts in-progress builds of prebuilds by preset and transition', () => {
    const rows = snapshot.inProgress
      .map((r) => `${nameOf(r.presetId)} ${r.transition} ${r.count}`)
      .sort();
    // p0-assigned is still pending (started_at unset), so it counts; superseded's old job does not.
    expect(rows).toEqual(['P0 start 3', 'P1 delete 1', 'P1 start 1']);
  });

  it('counts pending unassigned creation jobs of presets that no longer create', () => {
    expect(snapshot.pendingInactive.map((r) => `${nameOf(r.presetId)} ${r.count}`)).toEqual([
      'P0 1',
    ]);
  });

  it('returns stopped or failed prebuilds past the grace period', () => {
    const rows = snapshot.stoppedOrFailed
      .map((r) => ({
        name: nameOf(r.id),
        preset: nameOf(r.presetId),
        transition: r.transition,
        status: r.jobStatus,
      }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
    expect(rows).toEqual([
      { name: 'failed-old', preset: 'P1', transition: 'start', status: 'failed' },
      { name: 'stopped-old', preset: 'P1', transition: 'stop', status: 'succeeded' },
    ]);
    // stopped-new, stopped 10 minutes ago, leaves the 1-hour grace period 50 minutes from now.
    expect(snapshot.graceEndsAt?.toISOString()).toBe(
      new Date(NOW.getTime() + 50 * MIN + 1).toISOString(),
    );
  });

  it('returns consecutive creation failures since the last success, within the lookback', () => {
    const rows = snapshot.backoffs
      .map((r) => ({ preset: nameOf(r.presetId), failed: r.failedCount, last: r.lastFailureAt }))
      .sort((a, b) => String(a.preset).localeCompare(String(b.preset)));
    expect(rows).toEqual([
      { preset: 'P5', failed: 3, last: ago(10 * MIN) },
      { preset: 'P6', failed: 1, last: ago(5 * MIN) },
      { preset: 'P7', failed: 1, last: ago(15 * MIN) },
    ]);
  });

  it('returns the failure streak of the newest N creations, after the reset', () => {
    const rows = snapshot.failureStreaks
      .map((r) => ({ preset: nameOf(r.presetId), considered: r.considered, failed: r.failed }))
      .sort((a, b) => String(a.preset).localeCompare(String(b.preset)));
    expect(rows).toEqual([
      { preset: 'P5', considered: 3, failed: 3 },
      { preset: 'P6', considered: 1, failed: 1 },
      { preset: 'P7', considered: 3, failed: 2 },
    ]);
  });

  it('uses the given hard limit and lookback; a limit of 0 reads no streaks', async () => {
    const load = (options: Partial<typeof DEFAULT_PREBUILD_OPTIONS>) =>
      withTransaction(db.pool, { isolation: 'repeatable read', readOnly: true }, (tx) =>
        loadSnapshot(tx, NOW, { ...DEFAULT_PREBUILD_OPTIONS, ...options }),
      );
    const five = await load({ failureHardLimit: 5, backoffLookbackMs: 3 * HOUR });
    expect(
      five.failureStreaks.map((r) => `${nameOf(r.presetId)} ${r.considered}/${r.failed}`).sort(),
    ).toEqual(['P5 4/3', 'P6 1/1', 'P7 4/3']);
    expect(five.backoffs.find((r) => r.presetId === id('P7'))?.failedCount).toBe(1);
    expect((await load({ failureHardLimit: 0 })).failureStreaks).toEqual([]);
    const noGrace = await load({ cleanupGraceMs: 0 });
    expect(noGrace.stoppedOrFailed.map((r) => nameOf(r.id)).sort()).toEqual([
      'failed-old',
      'stopped-new',
      'stopped-old',
    ]);
  });
});

describe('the decision on a real snapshot', () => {
  it('plans every preset from what the queries returned', () => {
    const instances: Parameters<typeof planAll>[3] = (config) => ({
      desired: config.instances,
      schedule: null,
    });
    const plans = planAll(snapshot, NOW, DEFAULT_PREBUILD_OPTIONS, instances).map((plan) => ({
      preset: nameOf(plan.preset.id),
      status: plan.state.status,
      actions: plan.actions.map((a) =>
        a.type === 'delete'
          ? `delete ${a.workspaceIds.map(nameOf).join(',')}`
          : a.type === 'backoff'
            ? `backoff ${a.until.toISOString()}`
            : `${a.type} ${a.count}`,
      ),
    }));
    expect(plans).toEqual([
      { preset: 'P0', status: 'healthy', actions: ['cancel_pending 1', 'delete p0-running'] },
      // 5 valid > 3 desired: the two not-ready ones go, oldest first; then the cleanup.
      {
        preset: 'P1',
        status: 'healthy',
        actions: ['delete not-ready,no-agent,stopped-old,failed-old'],
      },
      { preset: 'P5', status: 'hard_limited', actions: [] },
      { preset: 'P6', status: 'healthy', actions: ['create 1'] },
      { preset: 'P7', status: 'healthy', actions: ['create 1'] },
      { preset: 'P3', status: 'healthy', actions: ['delete p3-running'] },
      { preset: 'P4', status: 'healthy', actions: [] },
    ]);
  });
});

describe('loadSnapshot with a second connection', () => {
  it('reads exactly what one connection reads', async () => {
    const read = (parallel?: typeof db.pool) =>
      withTransaction(db.pool, { isolation: 'repeatable read', readOnly: true }, (tx) =>
        loadSnapshot(tx, NOW, DEFAULT_PREBUILD_OPTIONS, parallel),
      );
    const one = await read();
    expect(await read(db.pool)).toEqual(one);
    expect(one).toEqual(snapshot);
  });

  it("shares the caller's snapshot: a commit after it started is invisible to both halves", async () => {
    const loaded = await withTransaction(
      db.pool,
      { isolation: 'repeatable read', readOnly: true },
      async (tx) => {
        await tx.query(sql.unsafe`SELECT 1`); // the transaction's snapshot is taken here
        // Committed meanwhile on another connection: one more pending creation job of P0 (read
        // by the second connection) and one more running prebuild of P1 (read by the first).
        const v1 = snapshot.presets.find((p) => p.id === id('P0'))?.templateVersionId as string;
        const tpl = snapshot.presets.find((p) => p.id === id('P0'))?.templateId as string;
        await createPrebuild(db.pool, {
          templateId: tpl,
          versionId: v1,
          presetId: id('P0'),
          jobState: 'pending',
        });
        const v2 = snapshot.presets.find((p) => p.id === id('P1'))?.templateVersionId as string;
        await createPrebuild(db.pool, { templateId: tpl, versionId: v2, presetId: id('P1') });
        return loadSnapshot(tx, NOW, DEFAULT_PREBUILD_OPTIONS, db.pool);
      },
    );
    expect(loaded.pendingInactive).toEqual(snapshot.pendingInactive);
    expect(loaded.inProgress).toEqual(snapshot.inProgress);
    expect(loaded.running).toEqual(snapshot.running);
    // Outside that transaction both are visible.
    const fresh = await withTransaction(
      db.pool,
      { isolation: 'repeatable read', readOnly: true },
      (tx) => loadSnapshot(tx, NOW, DEFAULT_PREBUILD_OPTIONS, db.pool),
    );
    expect(fresh.pendingInactive.map((r) => `${nameOf(r.presetId)} ${r.count}`)).toEqual(['P0 2']);
    expect(fresh.running).toHaveLength(snapshot.running.length + 1);
  });
});
