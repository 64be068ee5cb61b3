import { sql } from 'slonik';
import { beforeAll, describe, expect, it } from 'vitest';

import { withTransaction } from '../../src/db/tx.js';
import { DEFAULT_PREBUILD_OPTIONS } from '../../src/domain/prebuilds/options.js';
import { planAll } from '../../src/domain/prebuilds/plan.js';
import type { GlobalSnapshot } from '../../src/domain/prebuilds/types.js';
import { loadSnapshot } from '../../src/prebuilds/snapshot.js';
import { useTestDatabase } from '../helpers/db.js';
import {
  createAgent,
  createBuild,
  createPreset,
  createPrebuild,
  createTemplate,
  createTemplateVersion,
  createUser,
  createWorkspace,
  SYSTEM_USER_ID,
} from '../helpers/fixtures.js';

const db = useTestDatabase();

const NOW = new Date('2030-01-07T12:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** Workspace and preset ids by a readable name, and back. */
const ids = new Map<string, string>();
const names = new Map<string, string>();
const remember = (name: string, id: string) => {
  ids.set(name, id);
  names.set(id, name);
  return id;
};
const id = (name: string) => {
  const value = ids.get(name);
  if (!value) throw new Error(`no fixture named ${name}`);
  return value;
};
const nameOf = (value: string | null) => (value === null ? null : (names.get(value) ?? value));

let snapshot: GlobalSnapshot;

beforeAll(async () => {
  const pool = db.pool;
  const user = await createUser(pool);

  // dev: active v2 with P1 (3 prebuilds, TTL 1 h, two schedules) and P2 (no prebuilds); old v1
  // with P0 (still has prebuilds and jobs) and P0-empty (nothing left).
  const dev = await createTemplate(pool, { name: 'dev' });
  const v1 = await createTemplateVersion(pool, {
    templateId: dev,
    name: 'v1',
    createdAt: ago(10 * HOUR),
  });
  remember('P0', await createPreset(pool, { versionId: v1, name: 'p0', desiredInstances: 2 }));
  remember(
    'P0-empty',
    await createPreset(pool, { versionId: v1, name: 'p0-empty', desiredInstances: 1 }),
  );
  const v2 = await createTemplateVersion(pool, {
    templateId: dev,
    name: 'v2',
    createdAt: ago(HOUR),
  });
  remember(
    'P1',
    await createPreset(pool, {
      versionId: v2,
      name: 'p1',
      desiredInstances: 3,
      ttlSecs: 3600,
      timezone: 'Europe/Paris',
      lastInvalidatedAt: ago(2 * HOUR),
      schedules: [
        { cron: '* 8-18 * * 1-5', instances: 5 },
        { cron: '* 8-14 * * 6', instances: 1 },
      ],
    }),
  );
  remember('P2', await createPreset(pool, { versionId: v2, name: 'p2' }));

  // gone: a deleted template whose active-version preset still has a prebuild.
  const gone = await createTemplate(pool, { name: 'gone', deleted: true });
  const goneV = await createTemplateVersion(pool, { templateId: gone, name: 'g1' });
  remember('P3', await createPreset(pool, { versionId: goneV, name: 'p3', desiredInstances: 1 }));
  // A deleted template with nothing left is not returned.
  const goneEmpty = await createTemplate(pool, { name: 'gone-empty', deleted: true });
  const goneEmptyV = await createTemplateVersion(pool, { templateId: goneEmpty, name: 'ge1' });
  await createPreset(pool, { versionId: goneEmptyV, name: 'pge', desiredInstances: 1 });

  // old: deprecated, active version preset with prebuilds configured.
  const old = await createTemplate(pool, { name: 'old', deprecated: 'use dev' });
  const oldV = await createTemplateVersion(pool, { templateId: old, name: 'o1' });
  remember('P4', await createPreset(pool, { versionId: oldV, name: 'p4', desiredInstances: 1 }));

  // flaky: P5 failed its 3 newest creations; P6 was reset after 3 failures, then failed once;
  // P7 has 2 failures, a success, then 1 failure (backoff counts 1).
  const flaky = await createTemplate(pool, { name: 'flaky' });
  const flakyV = await createTemplateVersion(pool, { templateId: flaky, name: 'f1' });
  remember('P5', await createPreset(pool, { versionId: flakyV, name: 'p5', desiredInstances: 1 }));
  remember(
    'P6',
    await createPreset(pool, {
      versionId: flakyV,
      name: 'p6',
      desiredInstances: 1,
      failureLimitResetAt: ago(20 * MIN),
    }),
  );
  remember('P7', await createPreset(pool, { versionId: flakyV, name: 'p7', desiredInstances: 1 }));

  const prebuild = async (
    name: string,
    input: Omit<Parameters<typeof createPrebuild>[1], 'templateId' | 'versionId' | 'presetId'> & {
      preset: string;
      template: string;
      version: string;
    },
  ) => {
    const { preset, template, version, ...rest } = input;
    const created = await createPrebuild(pool, {
      ...rest,
      templateId: template,
      versionId: version,
      presetId: id(preset),
    });
    remember(name, created.workspaceId);
    return created;
  };

  // P1, running: ready, not ready, no agent (never ready).
  await prebuild('ready', { preset: 'P1', template: dev, version: v2, createdAt: ago(50 * MIN) });
  await prebuild('not-ready', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(40 * MIN),
    ready: false,
  });
  await prebuild('no-agent', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(30 * MIN),
    noAgent: true,
  });
  // P1: started, stopped, started again without naming the preset: still P1's, running, ready.
  const restarted = await prebuild('restarted', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(45 * MIN),
  });
  await createBuild(pool, {
    workspaceId: restarted.workspaceId,
    versionId: v2,
    initiatorId: SYSTEM_USER_ID,
    transition: 'stop',
    createdAt: ago(44 * MIN),
  });
  const again = await createBuild(pool, {
    workspaceId: restarted.workspaceId,
    versionId: v2,
    initiatorId: SYSTEM_USER_ID,
    createdAt: ago(43 * MIN),
  });
  await createAgent(pool, { workspaceId: restarted.workspaceId, buildId: again.buildId });
  // P1, in progress: a pending creation, and a delete running on an older prebuild.
  await prebuild('p1-pending', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(MIN),
    jobState: 'pending',
  });
  const deleting = await prebuild('p1-deleting', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(55 * MIN),
  });
  await createBuild(pool, {
    workspaceId: deleting.workspaceId,
    versionId: v2,
    initiatorId: SYSTEM_USER_ID,
    transition: 'delete',
    jobState: 'running',
    createdAt: ago(MIN),
  });
  // P1, cleanup: stopped 2 h ago (due), stopped 10 min ago (not yet), creation failed 3 h ago.
  const stoppedOld = await prebuild('stopped-old', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(5 * HOUR),
  });
  await createBuild(pool, {
    workspaceId: stoppedOld.workspaceId,
    versionId: v2,
    initiatorId: SYSTEM_USER_ID,
    transition: 'stop',
    createdAt: ago(2 * HOUR),
  });
  const stoppedNew = await prebuild('stopped-new', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(5 * HOUR),
  });
  await createBuild(pool, {
    workspaceId: stoppedNew.workspaceId,
    versionId: v2,
    initiatorId: SYSTEM_USER_ID,
    transition: 'stop',
    createdAt: ago(10 * MIN),
  });
  await prebuild('failed-old', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(3 * HOUR),
    jobState: 'failed',
  });
  // Not prebuilds any more: claimed (owned by a user), and deleted.
  const claimed = await prebuild('claimed', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(20 * MIN),
  });
  await pool.query(
    sql.unsafe`UPDATE workspaces SET owner_id = ${user} WHERE id = ${claimed.workspaceId}`,
  );
  await prebuild('deleted', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(20 * MIN),
    deleted: true,
  });
  // A user's own workspace on P1 is nobody's business here.
  const own = remember(
    'users-own',
    await createWorkspace(pool, { ownerId: user, templateId: dev }),
  );
  await createBuild(pool, {
    workspaceId: own,
    versionId: v2,
    initiatorId: user,
    presetId: id('P1'),
    jobState: 'pending',
  });

  // P0 (old version): one running, one pending creation (cancel), one running creation job.
  await prebuild('p0-running', {
    preset: 'P0',
    template: dev,
    version: v1,
    createdAt: ago(9 * HOUR),
  });
  await prebuild('p0-pending', {
    preset: 'P0',
    template: dev,
    version: v1,
    createdAt: ago(2 * MIN),
    jobState: 'pending',
  });
  await prebuild('p0-building', {
    preset: 'P0',
    template: dev,
    version: v1,
    createdAt: ago(3 * MIN),
    jobState: 'running',
  });
  // A creation job stuck pending under a newer, succeeded start: running, not in progress.
  const superseded = await prebuild('superseded', {
    preset: 'P1',
    template: dev,
    version: v2,
    createdAt: ago(35 * MIN),
    jobState: 'pending',
  });
  const newer = await createBuild(pool, {
    workspaceId: superseded.workspaceId,
    versionId: v2,
    initiatorId: SYSTEM_USER_ID,
    createdAt: ago(34 * MIN),
  });
  await createAgent(pool, { workspaceId: superseded.workspaceId, buildId: newer.buildId });
  // A pending creation job of the old version already assigned to a daemon: not cancellable.
  const assigned = await prebuild('p0-assigned', {
    preset: 'P0',
    template: dev,
    version: v1,
    createdAt: ago(2 * MIN),
    jobState: 'pending',
  });
  await pool.query(
    sql.unsafe`UPDATE provisioner_jobs SET worker_id = gen_random_uuid() WHERE id = ${assigned.jobId}`,
  );
  // P3 (deleted template): one running.
  await prebuild('p3-running', {
    preset: 'P3',
    template: gone,
    version: goneV,
    createdAt: ago(HOUR),
  });

  // Creation history (deleted workspaces: history only).
  const history = async (preset: string, jobState: 'failed' | 'succeeded', agoMs: number) =>
    createPrebuild(pool, {
      templateId: flaky,
      versionId: flakyV,
      presetId: id(preset),
      jobState,
      deleted: true,
      createdAt: ago(agoMs + MIN),
      completedAt: ago(agoMs),
    });
  await history('P5', 'succeeded', 3 * HOUR);
  for (const at of [30 * MIN, 20 * MIN, 10 * MIN]) await history('P5', 'failed', at);
  for (const at of [50 * MIN, 40 * MIN, 30 * MIN]) await history('P6', 'failed', at);
  await history('P6', 'failed', 5 * MIN);
  await history('P7', 'failed', 2 * HOUR); // beyond the 1 h lookback
  await history('P7', 'failed', 40 * MIN);
  await history('P7', 'succeeded', 30 * MIN);
  await history('P7', 'failed', 15 * MIN);

  snapshot = await withTransaction(pool, { isolation: 'repeatable read', readOnly: true }, (tx) =>
    loadSnapshot(tx, NOW, DEFAULT_PREBUILD_OPTIONS),
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
