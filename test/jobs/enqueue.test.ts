import pg from 'pg';
import { Registry } from 'prom-client';
import { sql } from 'slonik';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { CHANNELS } from '../../src/db/channels.js';
import { isUniqueViolation } from '../../src/db/errors.js';
import { withTransaction } from '../../src/db/tx.js';
import { EnqueueError, enqueueWorkspaceBuild } from '../../src/jobs/enqueue.js';
import { jobMetricsFor } from '../../src/jobs/metrics.js';
import { useTestDatabase } from '../helpers/db.js';
import {
  createJob,
  createPreset,
  createTemplateVersion,
  createWorkspace,
  SYSTEM_USER_ID,
} from '../helpers/fixtures.js';
import { createTarget, enqueue } from './helpers.js';

const db = useTestDatabase();

/** Resolves once some session of the test database waits on a lock. */
async function waitForLockWaiter(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const waiting = await db.pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no session started waiting on a lock within 30 s');
}

const Params = z.object({ name: z.string(), value: z.string() });
async function buildParameters(buildId: string) {
  const rows = await db.pool.any(
    sql.type(Params)`SELECT name, value FROM workspace_build_parameters
                     WHERE workspace_build_id = ${buildId} ORDER BY name`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.value]));
}

describe('enqueueWorkspaceBuild', () => {
  it('creates build #1 and its job from the active version, preset and parameters', async () => {
    const target = await createTarget(db.pool, {
      tags: { region: 'eu' },
      config: { exec: { command: './build.sh', timeout: '5m' } },
    });
    const presetId = await createPreset(db.pool, {
      versionId: target.versionId,
      name: 'big',
      parameters: { cpus: '8', region: 'eu-west' },
    });
    const now = new Date('2026-03-01T10:00:00Z');
    const { build, job } = await enqueue(db.pool, target, {
      presetId,
      parameters: { cpus: '16', disk: '100' },
      now,
    });

    expect(build).toMatchObject({
      build_number: 1,
      transition: 'start',
      reason: 'initiator',
      template_version_id: target.versionId,
      template_version_preset_id: presetId,
      job_id: job.id,
      deadline: null,
    });
    expect(build.created_at).toEqual(now);
    expect(job).toMatchObject({
      job_status: 'pending',
      status: 'pending',
      provisioner: 'echo',
      tags: { region: 'eu' },
      initiator_id: target.ownerId,
    });
    expect(job.input).toMatchObject({
      workspace_build_id: build.id,
      workspace_id: target.workspaceId,
      transition: 'start',
      build_number: 1,
      reason: 'initiator',
      is_prebuild: false,
      preset_id: presetId,
      preset_name: 'big',
      parameters: { cpus: '16', region: 'eu-west', disk: '100' },
      exec: { command: './build.sh', timeout: '5m' },
    });
    expect(await buildParameters(build.id)).toEqual({ cpus: '16', disk: '100', region: 'eu-west' });
  });

  it('numbers builds max+1 and keeps the version, preset and parameters of the latest build', async () => {
    const target = await createTarget(db.pool);
    const presetId = await createPreset(db.pool, {
      versionId: target.versionId,
      parameters: { size: 's' },
    });
    const first = await enqueue(db.pool, target, { presetId, parameters: { extra: 'x' } });
    await finish(first.job.id);
    // A newer active version does not change what a stop builds.
    await createTemplateVersion(db.pool, { templateId: target.templateId });
    const stop = await enqueue(db.pool, target, { transition: 'stop', reason: 'autostop' });
    expect(stop.build).toMatchObject({
      build_number: 2,
      transition: 'stop',
      reason: 'autostop',
      template_version_id: target.versionId,
      template_version_preset_id: presetId,
    });
    expect(await buildParameters(stop.build.id)).toEqual({ size: 's', extra: 'x' });
  });

  it('starts the active version when asked to, dropping the old version preset', async () => {
    const target = await createTarget(db.pool);
    const oldPreset = await createPreset(db.pool, { versionId: target.versionId });
    await finish((await enqueue(db.pool, target, { presetId: oldPreset })).job.id);
    const newVersion = await createTemplateVersion(db.pool, { templateId: target.templateId });

    await finish((await enqueue(db.pool, target, { transition: 'stop' })).job.id);
    const same = await enqueue(db.pool, target);
    expect(same.build.template_version_id).toBe(target.versionId);
    await finish(same.job.id);

    const updated = await enqueue(db.pool, target, { useActiveVersion: true });
    expect(updated.build.template_version_id).toBe(newVersion);
    expect(updated.build.template_version_preset_id).toBeNull();
  });

  it('refuses a second build while one is in progress, and explains', async () => {
    const target = await createTarget(db.pool);
    const first = await enqueue(db.pool, target);
    const error = await enqueue(db.pool, target, { transition: 'stop' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnqueueError);
    expect(error).toMatchObject({ code: 'build_in_progress' });
    expect((error as Error).message).toContain(first.job.id);
  });

  it.each([
    ['workspace_not_found', { workspaceId: '00000000-0000-4000-8000-000000000000' }],
    ['invalid_parameter', { parameters: { '': 'x' } }],
  ] as const)('rejects %s', async (code, over) => {
    const target = await createTarget(db.pool);
    await expect(enqueue(db.pool, target, over)).rejects.toMatchObject({ code });
  });

  it('rejects a version of another template and a preset of another version', async () => {
    const target = await createTarget(db.pool);
    const other = await createTarget(db.pool);
    await expect(
      enqueue(db.pool, target, { templateVersionId: other.versionId }),
    ).rejects.toMatchObject({ code: 'version_not_found' });
    const otherPreset = await createPreset(db.pool, { versionId: other.versionId });
    await expect(enqueue(db.pool, target, { presetId: otherPreset })).rejects.toMatchObject({
      code: 'preset_not_found',
    });
  });

  it('rejects a deleted workspace', async () => {
    const target = await createTarget(db.pool);
    const deleted = await createWorkspace(db.pool, {
      ownerId: target.ownerId,
      templateId: target.templateId,
      deleted: true,
    });
    await expect(
      enqueue(db.pool, { workspaceId: deleted, ownerId: target.ownerId }),
    ).rejects.toMatchObject({ code: 'workspace_deleted' });
  });

  it('lets a concurrent enqueue for the same workspace lose on the build-number key', async () => {
    const target = await createTarget(db.pool);
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstInserted!: () => void;
    const inserted = new Promise<void>((resolve) => (firstInserted = resolve));
    const request = {
      workspaceId: target.workspaceId,
      transition: 'start',
      reason: 'initiator',
      initiatorId: target.ownerId,
      now: new Date(),
    } as const;
    const first = withTransaction(db.pool, {}, async (tx) => {
      const result = await enqueueWorkspaceBuild(tx, request);
      firstInserted();
      await firstHolds;
      return result;
    });
    await inserted;
    const second = withTransaction(db.pool, {}, (tx) => enqueueWorkspaceBuild(tx, request));
    // The second blocks on the first's uncommitted key until the first commits: release the
    // first only once the second is seen waiting on a lock (a fixed delay is flaky under load).
    await waitForLockWaiter();
    releaseFirst();
    const [a, b] = await Promise.allSettled([first, second]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    const reason = (b as PromiseRejectedResult).reason as unknown;
    expect(isUniqueViolation(reason, 'workspace_builds_workspace_id_build_number_key')).toBe(true);
  });

  it('notifies a job posting at commit, and not at all on rollback', async () => {
    const target = await createTarget(db.pool, { tags: { zone: 'a' } });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const received: string[] = [];
    client.on('notification', (message) => received.push(message.payload ?? ''));
    await client.query(`LISTEN ${CHANNELS.jobPosted}`);
    try {
      await withTransaction(db.pool, {}, async (tx) => {
        await enqueueWorkspaceBuild(tx, {
          workspaceId: target.workspaceId,
          transition: 'start',
          reason: 'initiator',
          initiatorId: target.ownerId,
          now: new Date(),
        });
        throw new Error('roll back');
      }).catch(() => undefined);
      const { job } = await enqueue(db.pool, target);
      await client.query('SELECT 1');
      await expect.poll(() => received.length).toBe(1);
      expect(JSON.parse(received[0] as string)).toEqual({
        job_id: job.id,
        provisioner: 'echo',
        tags: { zone: 'a' },
      });
    } finally {
      await client.end();
    }
  });

  it('counts coderd_workspace_builds_enqueued_total by outcome', async () => {
    const registry = new Registry();
    const metrics = jobMetricsFor(registry);
    const target = await createTarget(db.pool);
    const prebuild = await createWorkspace(db.pool, {
      ownerId: SYSTEM_USER_ID,
      templateId: target.templateId,
    });
    await enqueue(
      db.pool,
      { workspaceId: prebuild, ownerId: SYSTEM_USER_ID },
      { reason: 'prebuild', metrics },
    );
    await enqueue(
      db.pool,
      { workspaceId: prebuild, ownerId: SYSTEM_USER_ID },
      { reason: 'prebuild', metrics },
    ).catch(() => undefined);
    const text = await registry.metrics();
    expect(text).toContain(
      'coderd_workspace_builds_enqueued_total{provisioner_type="echo",build_reason="prebuild",transition="start",status="success"} 1',
    );
    expect(text).toContain(
      'coderd_workspace_builds_enqueued_total{provisioner_type="echo",build_reason="prebuild",transition="start",status="failed"} 1',
    );
  });

  it('leaves jobs created by other means alone', async () => {
    // A plain job (no build) next to builds does not disturb numbering.
    const target = await createTarget(db.pool);
    await createJob(db.pool, { initiatorId: target.ownerId, state: 'pending' });
    const { build } = await enqueue(db.pool, target);
    expect(build.build_number).toBe(1);
  });
});

async function finish(jobId: string): Promise<void> {
  await db.pool.query(sql.unsafe`
    UPDATE provisioner_jobs SET started_at = now(), completed_at = now() WHERE id = ${jobId}`);
}
