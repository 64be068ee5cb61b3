import pg from 'pg';
import { sql } from 'slonik';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { CHANNELS } from '../../src/db/channels.js';
import type { Db } from '../../src/db/sql-files.js';
import { withTransaction } from '../../src/db/tx.js';
import { enqueueWorkspaceBuild } from '../../src/jobs/enqueue.js';
import { jobMetricsFor, setDefaultJobMetrics } from '../../src/jobs/metrics.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { notify } from '../../src/jobs/notify.js';
import { recordClaimAttempt } from '../../src/autoscaling/claim-history.js';
import { claimPrebuiltWorkspace } from '../../src/prebuilds/claim.js';
import { claimWithBuild } from '../../src/prebuilds/claim-build.js';
import { resolveCreateRequest } from '../../src/prebuilds/create-request.js';
import { createdWorkspaceJson, createWorkspace } from '../../src/prebuilds/create-workspace.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import {
  echoDaemon,
  push,
  readyPrebuilds,
  reconcilerFor,
  templateYaml,
  uniqueName,
  waitForIdle,
} from './harness.js';

/**
 * The claim's one statement (ClaimPrebuiltWorkspaceWithBuild) against the general path
 * (claimPrebuiltWorkspace + recordClaimAttempt + enqueueWorkspaceBuild + notify in a
 * transaction): same rows, same NOTIFYs; and all or nothing when it cannot complete.
 */

const db = useTestDatabase();
const clock = new FakeClock('2026-03-02T10:00:00Z');

const Written = z.object({
  workspace_id: z.string(),
  build: z.record(z.unknown()),
  job: z.record(z.unknown()),
  parameters: z.record(z.string()),
  attempts: z.array(z.record(z.unknown())),
});

/** The claim build of a workspace as stored, ids replaced by where they point. */
async function written(c: Db, workspaceId: string, templateId: string) {
  const row = await c.one(sql.type(Written)`
    SELECT
      b.workspace_id,
      to_jsonb(b) - 'id' - 'job_id' AS build,
      to_jsonb(j) - 'id' AS job,
      COALESCE((
        SELECT jsonb_object_agg(p.name, p.value)
        FROM workspace_build_parameters p WHERE p.workspace_build_id = b.id
      ), '{}'::jsonb) AS parameters,
      (SELECT COALESCE(jsonb_agg(to_jsonb(a) - 'id' ORDER BY a.id), '[]'::jsonb)
       FROM prebuild_claim_attempts a WHERE a.template_id = ${templateId}) AS attempts
    FROM workspace_builds b
    JOIN provisioner_jobs j ON j.id = b.job_id
    WHERE b.workspace_id = ${workspaceId} AND b.reason = 'claim'`);
  const input = row.job.input as Record<string, unknown>;
  expect(input.workspace_build_id).toEqual(expect.any(String));
  return { ...row, job: { ...row.job, input: { ...input, workspace_build_id: 'x' } } };
}

/** Collects NOTIFY payloads of the job-posted and reconcile channels. */
async function listen(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const got: { channel: string; payload: unknown }[] = [];
  client.on('notification', (n) => {
    got.push({ channel: n.channel, payload: JSON.parse(n.payload ?? 'null') });
  });
  await client.query(`LISTEN ${CHANNELS.jobPosted}`);
  await client.query(`LISTEN ${CHANNELS.reconcile}`);
  return {
    /** Forgets what arrived so far (after a moment for late deliveries). */
    async drain() {
      await new Promise((resolve) => setTimeout(resolve, 100));
      got.length = 0;
    },
    /** What arrived, waiting up to 2 s for `count` notifications. */
    async take(count: number) {
      for (let i = 0; i < 200 && got.length < count; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return got.splice(0, got.length);
    },
    end: () => client.end(),
  };
}

/** A template with one preset `warm` of one prebuild, built and ready (every job run). */
async function pushWithPool(name: string, parameters: Record<string, string>) {
  const pushed = await push(db, templateYaml(name, [{ name: 'warm', instances: 1, parameters }]));
  const daemon = await echoDaemon(db, clock);
  try {
    await reconcilerFor(db, clock).reconcileOnce();
    await waitForIdle(db.pool);
  } finally {
    await daemon.stop();
  }
  return pushed;
}

let listener: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  listener = await listen(db.url);
});
afterAll(async () => {
  await listener.end();
});
afterEach(() => {
  setDefaultJobMetrics(undefined);
});

const Id = z.object({ id: z.string() });

describe('the claim build statement', () => {
  // First: waitForIdle below waits for every job of the database, and later tests leave some.
  it('claims nothing when the statement fails: a taken name, or a claim it cannot build', async () => {
    const name = uniqueName('cb-fail');
    const { templateId, presets } = await pushWithPool(name, {});
    const [prebuild] = await readyPrebuilds(db.pool, presets.warm as string);
    if (!prebuild) throw new Error('no ready prebuild');
    const owner = await createUser(db.pool);
    const input = { owner, template: name, preset: 'warm', name: 'dev' };
    const request = await resolveCreateRequest(db.pool, input, clock.now());
    await listener.drain();
    const untouched = async () => {
      expect(await readyPrebuilds(db.pool, presets.warm as string)).toEqual([prebuild]);
      expect(await attempts(templateId)).toEqual([]);
      expect(await listener.take(0)).toEqual([]);
    };

    // Enqueue outcomes counted meanwhile: a taken name is the claim's failure, not a build's.
    const registry = createRegistry();
    setDefaultJobMetrics(jobMetricsFor(registry));
    const failedEnqueues = async () =>
      (await jobMetricsFor(registry).enqueued.get()).values
        .filter((v) => v.labels.status === 'failed')
        .reduce((n, v) => n + v.value, 0);

    // The owner took the name after the request was resolved: the claim's UPDATE fails.
    await db.pool.query(sql.unsafe`
      INSERT INTO workspaces (owner_id, organization_id, template_id, name, automatic_updates)
      SELECT ${owner}, organization_id, id, 'dev', 'never' FROM templates WHERE id = ${templateId}`);
    await expect(claimWithBuild(db.pool, request, clock.now())).rejects.toMatchObject({
      cause: { constraint: 'workspaces_owner_id_name_key' },
    });
    await untouched();
    expect(await failedEnqueues()).toBe(0);

    // A request whose version is not the preset's: the claim would succeed, its build cannot be
    // written, and the guard fails the statement, the claim with it.
    const wrong = {
      ...request,
      name: 'dev2',
      template: { ...request.template, versionId: '00000000-0000-4000-8000-000000000001' },
    };
    await expect(claimWithBuild(db.pool, wrong, clock.now())).rejects.toThrow(
      /left without its claim build: not committed/,
    );
    await untouched();
    expect(await failedEnqueues()).toBe(1);

    // The claim writes the build state the claim build's trigger computes, so the claimed row
    // gets one new version, not two (the general path's claim and build update it twice). Counted
    // in transactions that are rolled back.
    const rowUpdates = (tx: Db) =>
      tx.oneFirst(sql.type(z.object({ n: z.number() }))`
        SELECT n_tup_upd::int AS n FROM pg_stat_xact_user_tables WHERE relname = 'workspaces'`);
    const rolledBack = async (fn: (tx: Db) => Promise<unknown>) => {
      let n = -1;
      await withTransaction(db.pool, {}, async (tx) => {
        if ((await fn(tx)) === null) throw new Error('nothing claimed');
        n = await rowUpdates(tx);
        throw rollback;
      }).catch((error: unknown) => {
        if (error !== rollback) throw error;
      });
      return n;
    };
    const rollback = new Error('rollback');
    const later = { ...request, name: 'dev3' };
    expect(await rolledBack((tx) => claimWithBuild(tx, later, clock.now()))).toBe(1);
    expect(
      await rolledBack(async (tx) => {
        const claimed = await claimPrebuiltWorkspace(tx, {
          presetId: presets.warm as string,
          ownerId: owner,
          name: 'dev3',
          autostartSchedule: null,
          nextStartAt: null,
          ttlMs: null,
          now: clock.now(),
        });
        if (!claimed) return null;
        return enqueueWorkspaceBuild(tx, {
          workspaceId: claimed.id,
          transition: 'start',
          reason: 'claim',
          initiatorId: owner,
          presetId: presets.warm,
          now: clock.now(),
        });
      }),
    ).toBe(2);
    await untouched();

    // Invalid parameters are refused before anything is sent.
    await expect(
      claimWithBuild(db.pool, { ...request, parameters: { '': 'x' } }, clock.now()),
    ).rejects.toThrow(/parameters: name "" must be 1 to 128 characters/);
    await untouched();
  });

  it('writes and notifies what the general enqueue would, and answers what GET shows', async () => {
    const name = uniqueName('cb');
    const { templateId, versionId, presets } = await pushWithPool(name, {
      region: 'eu',
      size: 's',
    });
    // Version settings the claim's job carries (once the pool is built: daemons match tags): tags,
    // and an exec config with a key the job drops.
    await db.pool.query(sql.unsafe`
      UPDATE template_versions
      SET tags = '{"zone": "a"}'::jsonb,
          config = config || '{"exec": {"command": "dev", "timeout": "10m", "extra": 1}}'::jsonb
      WHERE id = ${versionId}`);
    const [prebuild] = await readyPrebuilds(db.pool, presets.warm as string);
    if (!prebuild) throw new Error('no ready prebuild');
    // A parameter only the prebuild's build has, and one the preset overrides.
    const latest = await db.pool.one(sql.type(Id)`
      SELECT id FROM workspace_builds WHERE workspace_id = ${prebuild.id}
      ORDER BY build_number DESC LIMIT 1`);
    await db.pool.query(sql.unsafe`
      INSERT INTO workspace_build_parameters (workspace_build_id, name, value)
      VALUES (${latest.id}, 'dotfiles', 'git'), (${latest.id}, 'size', 'xl')
      ON CONFLICT (workspace_build_id, name) DO UPDATE SET value = excluded.value`);
    await listener.drain();

    const owner = await createUser(db.pool);
    const input = {
      owner,
      template: name,
      preset: 'warm',
      name: 'dev',
      parameters: { editor: 'vim', region: 'us' },
    };
    const now = clock.now();

    // The general path, rolled back.
    const request = await resolveCreateRequest(db.pool, input, now);
    const rollback = new Error('rollback');
    let general: Awaited<ReturnType<typeof written>> | undefined;
    await expect(
      withTransaction(db.pool, {}, async (tx) => {
        const claimed = await claimPrebuiltWorkspace(tx, {
          presetId: presets.warm as string,
          ownerId: owner,
          name: 'dev',
          autostartSchedule: null,
          nextStartAt: null,
          ttlMs: request.ttlMs,
          now,
        });
        if (!claimed) throw new Error('nothing claimed');
        await recordClaimAttempt(tx, {
          templateId,
          presetName: 'warm',
          presetId: presets.warm as string,
          at: now,
          outcome: 'hit',
        });
        await enqueueWorkspaceBuild(tx, {
          workspaceId: claimed.id,
          transition: 'start',
          reason: 'claim',
          initiatorId: owner,
          presetId: presets.warm,
          parameters: input.parameters,
          now,
        });
        await notify(tx, CHANNELS.reconcile, [
          { reason: 'prebuild_claimed', template_id: templateId, preset_id: presets.warm },
        ]);
        general = await written(tx, claimed.id, templateId);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await listener.take(0)).toEqual([]);

    // The claim as the API runs it: the same prebuild, the same rows.
    const created = await createWorkspace(db.pool, input, now);
    expect(created.claimed).toBe(true);
    expect(created.view).toBeDefined();
    expect(created.workspace.id).toBe(prebuild.id);
    const fast = await written(db.pool, prebuild.id, templateId);
    expect(fast).toEqual(general);
    // The build-state cache (migration 0012's triggers) followed the build the statement wrote
    // after the claim it made: the workspace is no longer claimable.
    expect(
      await db.pool.one(sql.type(Cache)`
        SELECT owner_id, latest_build_id, latest_build_status::text, latest_agents_ready
        FROM workspaces WHERE id = ${prebuild.id}`),
    ).toEqual({
      owner_id: owner,
      latest_build_id: created.enqueued.build.id,
      latest_build_status: null,
      latest_agents_ready: false,
    });
    expect(fast.parameters).toEqual({ dotfiles: 'git', editor: 'vim', region: 'us', size: 's' });
    expect(fast.job).toMatchObject({
      provisioner: 'echo',
      tags: { zone: 'a' },
      input: { exec: { command: 'dev', timeout: '10m' }, is_prebuild: false, build_number: 2 },
    });

    const notified = await listener.take(2);
    const jobId = created.enqueued.job.id;
    expect(notified).toEqual([
      {
        channel: CHANNELS.jobPosted,
        payload: { job_id: jobId, provisioner: 'echo', tags: { zone: 'a' } },
      },
      {
        channel: CHANNELS.reconcile,
        payload: { reason: 'prebuild_claimed', template_id: templateId, preset_id: presets.warm },
      },
    ]);

    // The answer built from the statement's row is the one read back after commit.
    expect(await createdWorkspaceJson(db.pool, created)).toEqual(
      await createdWorkspaceJson(db.pool, { ...created, view: undefined }),
    );
  });

  it('writes nothing when there is no prebuild; the general path then records the miss', async () => {
    const name = uniqueName('cb-empty');
    const { templateId } = await push(db, templateYaml(name, [{ name: 'warm', instances: 1 }]));
    const owner = await createUser(db.pool);
    await listener.drain();
    const input = { owner, template: name, preset: 'warm', name: 'dev' };
    const request = await resolveCreateRequest(db.pool, input, clock.now());
    expect(request.preset?.hasPrebuilds).toBe(true);

    expect(await claimWithBuild(db.pool, request, clock.now())).toBeNull();
    expect(await attempts(templateId)).toEqual([]);
    expect(await listener.take(0)).toEqual([]);

    const created = await createWorkspace(db.pool, input, clock.now());
    expect(created.claimed).toBe(false);
    expect(await attempts(templateId)).toEqual(['miss']);
  });
});

const Outcome = z.object({ outcome: z.string() });
const Cache = z.object({
  owner_id: z.string(),
  latest_build_id: z.string().nullable(),
  latest_build_status: z.string().nullable(),
  latest_agents_ready: z.boolean(),
});

async function attempts(templateId: string): Promise<string[]> {
  const rows = await db.pool.any(sql.type(Outcome)`
    SELECT outcome::text FROM prebuild_claim_attempts WHERE template_id = ${templateId} ORDER BY id`);
  return rows.map((r) => r.outcome);
}
