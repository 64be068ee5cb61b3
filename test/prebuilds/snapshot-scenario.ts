import { sql } from 'slonik';

import type { Db } from '../../src/db/sql-files.js';
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

/**
 * The snapshot tests' world, at NOW: templates dev (old v1 with P0 and P0-empty, active v2 with P1
 * and P2), gone (deleted, P3), gone-empty, old (deprecated, P4), flaky (P5 hard-limited, P6
 * reset, P7 recovering), and prebuilds in every state the snapshot distinguishes. Fixtures are
 * named; `id(name)` and `nameOf(id)` translate.
 */
export const NOW = new Date('2030-01-07T12:00:00.000Z');
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const ago = (ms: number) => new Date(NOW.getTime() - ms);

const ids = new Map<string, string>();
const names = new Map<string, string>();
const remember = (name: string, value: string) => {
  ids.set(name, value);
  names.set(value, name);
  return value;
};
export const id = (name: string) => {
  const value = ids.get(name);
  if (!value) throw new Error(`no fixture named ${name}`);
  return value;
};
export const nameOf = (value: string | null) =>
  value === null ? null : (names.get(value) ?? value);

export async function buildScenario(pool: Db): Promise<void> {
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
}
