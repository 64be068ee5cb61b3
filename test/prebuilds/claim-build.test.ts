import pg from 'pg';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { CHANNELS } from '../../src/db/channels.js';
import type { Db } from '../../src/db/sql-files.js';
import { withTransaction } from '../../src/db/tx.js';
import { enqueueWorkspaceBuild } from '../../src/jobs/enqueue.js';
import { notify } from '../../src/jobs/notify.js';
import { recordClaimAttempt } from '../../src/autoscaling/claim-history.js';
import { claimPrebuiltWorkspace } from '../../src/prebuilds/claim.js';
import { enqueueClaimBuild } from '../../src/prebuilds/claim-build.js';
import { resolveCreateRequest } from '../../src/prebuilds/create-request.js';
import { createdWorkspaceJson, createWorkspace } from '../../src/prebuilds/create-workspace.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createBuild, createUser } from '../helpers/fixtures.js';
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
 * The claim's one statement (EnqueueClaimBuild) against the general path it replaces
 * (recordClaimAttempt + enqueueWorkspaceBuild + notify): same rows, same NOTIFYs.
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

let listener: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  listener = await listen(db.url);
});
afterAll(async () => {
  await listener.end();
});

const Id = z.object({ id: z.string() });

describe('the claim build statement', () => {
  it('writes and notifies what the general enqueue would, and answers what GET shows', async () => {
    const name = uniqueName('cb');
    const { templateId, versionId, presets } = await push(
      db,
      templateYaml(name, [{ name: 'warm', instances: 1, parameters: { region: 'eu', size: 's' } }]),
    );
    const daemon = await echoDaemon(db, clock);
    try {
      await reconcilerFor(db, clock).reconcileOnce();
      await waitForIdle(db.pool);
    } finally {
      await daemon.stop();
    }
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

  it('leaves the build to the general enqueue when the workspace is not what was resolved', async () => {
    const name = uniqueName('cb-miss');
    const { templateId, versionId, presets } = await push(
      db,
      templateYaml(name, [{ name: 'warm', instances: 1 }]),
    );
    const owner = await createUser(db.pool);
    await listener.drain();
    const request = await resolveCreateRequest(
      db.pool,
      { owner, template: name, preset: 'warm', name: 'busy' },
      clock.now(),
    );
    // A workspace whose latest build is still running.
    const workspaceId = (
      await db.pool.one(sql.type(Id)`
        INSERT INTO workspaces (owner_id, organization_id, template_id, name, automatic_updates)
        SELECT ${owner}, organization_id, id, 'busy', 'never' FROM templates WHERE id = ${templateId}
        RETURNING id`)
    ).id;
    await createBuild(db.pool, {
      workspaceId,
      versionId,
      initiatorId: owner,
      presetId: presets.warm,
      jobState: 'running',
    });
    const claimed = {
      id: workspaceId,
      name: 'busy',
      owner_id: owner,
      organization_id: request.template.organizationId,
      template_id: templateId,
      created_at: clock.now(),
      autostart_schedule: null,
      next_start_at: null,
      ttl: null,
      last_used_at: clock.now(),
    };
    const result = await withTransaction(db.pool, {}, async (tx) => {
      const out = await enqueueClaimBuild(tx, request, claimed, clock.now());
      const builds = await tx.oneFirst(
        sql.type(z.object({ n: z.number() }))`
          SELECT count(*)::int AS n FROM workspace_builds WHERE workspace_id = ${workspaceId}`,
      );
      return { out, builds };
    });
    expect(result).toEqual({ out: { built: null, recorded: true }, builds: 1 });
    expect(await listener.take(0)).toEqual([]);
  });
});
