import { sql } from 'slonik';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

import { useTestDatabase } from '../helpers/db.js';
import {
  createAgent,
  createBuild,
  createPreset,
  createTemplate,
  createTemplateVersion,
  createWorkspace,
  type JobState,
  SYSTEM_USER_ID,
} from '../helpers/fixtures.js';

/**
 * The latest build's state kept on the workspace row by triggers (migrations/0012) must equal
 * what the build history says, after any sequence of the writes the system makes: new builds,
 * jobs that finish, fail or are canceled, agents that appear, change state or are deleted.
 */
const db = useTestDatabase();

const Row = z.object({
  id: z.string(),
  cached: z.string(),
  computed: z.string(),
});

/** Every workspace's cached state next to the state computed from its history, as text. */
async function compare(): Promise<z.infer<typeof Row>[]> {
  const rows = await db.pool.any(sql.type(Row)`
    SELECT
      w.id,
      row(w.latest_build_id, w.latest_build_transition, w.latest_build_version_id,
          w.latest_build_status, w.latest_build_completed_at, w.current_preset_id,
          w.latest_agents_ready, w.failed_deletes, w.autostop_at, w.failed_build_at)::text AS cached,
      row(c.build_id, c.transition, c.template_version_id, c.status, c.completed_at, c.preset_id,
          COALESCE(c.agents_ready, false), COALESCE(c.failed_deletes, 0), c.autostop_at,
          c.failed_build_at)::text AS computed
    FROM workspaces w
    LEFT JOIN LATERAL (
      SELECT
        b.id AS build_id,
        b.transition,
        b.template_version_id,
        CASE WHEN j.job_status NOT IN ('pending', 'running') THEN j.job_status END AS status,
        j.completed_at,
        (SELECT pb.template_version_preset_id FROM workspace_builds pb
         WHERE pb.workspace_id = w.id AND pb.template_version_preset_id IS NOT NULL
         ORDER BY pb.build_number DESC LIMIT 1) AS preset_id,
        (SELECT count(*) > 0 AND count(*) = count(*) FILTER (WHERE a.lifecycle_state = 'ready')
         FROM workspace_agents a WHERE a.workspace_build_id = b.id AND NOT a.deleted) AS agents_ready,
        -- Counted the slow, obvious way: walk back from the latest build while it is a failed delete.
        (SELECT count(*)::int FROM workspace_builds fb JOIN provisioner_jobs fj ON fj.id = fb.job_id
         WHERE fb.workspace_id = w.id AND fb.transition = 'delete' AND fj.job_status = 'failed'
           AND NOT EXISTS (
             SELECT 1 FROM workspace_builds ob JOIN provisioner_jobs oj ON oj.id = ob.job_id
             WHERE ob.workspace_id = w.id AND ob.build_number > fb.build_number
               AND NOT (ob.transition = 'delete' AND oj.job_status = 'failed'))) AS failed_deletes,
        CASE WHEN b.transition = 'start' THEN COALESCE(b.deadline, b.max_deadline) END AS autostop_at,
        CASE WHEN j.job_status = 'failed' THEN j.completed_at END AS failed_build_at
      FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id
      WHERE b.workspace_id = w.id
      ORDER BY b.build_number DESC LIMIT 1
    ) c ON true
    ORDER BY w.id`);
  return [...rows];
}

/** A small deterministic PRNG (mulberry32), so a failure replays. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const JobRow = z.object({ id: z.string(), build_id: z.string(), workspace_id: z.string() });
const AgentRow = z.object({ id: z.string() });

describe('the latest build state on the workspace row', () => {
  it('matches the build history after 300 random writes', async () => {
    const templateId = await createTemplate(db.pool);
    const versions = [
      await createTemplateVersion(db.pool, { templateId }),
      await createTemplateVersion(db.pool, { templateId }),
    ];
    const presets = await Promise.all(
      versions.map((versionId) => createPreset(db.pool, { versionId, desiredInstances: 1 })),
    );
    const workspaces: string[] = [];
    for (let i = 0; i < 5; i++) {
      workspaces.push(await createWorkspace(db.pool, { ownerId: SYSTEM_USER_ID, templateId }));
    }
    const random = prng(14);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const states: JobState[] = ['pending', 'running', 'succeeded', 'failed', 'canceled'];
    const agentStates = ['created', 'starting', 'ready', 'start_error'];
    for (let step = 0; step < 300; step++) {
      const workspaceId = pick(workspaces);
      const op = random();
      if (op < 0.35) {
        const v = Math.floor(random() * 2);
        const build = await createBuild(db.pool, {
          workspaceId,
          versionId: versions[v] as string,
          initiatorId: SYSTEM_USER_ID,
          transition: pick(['start', 'stop', 'delete'] as const),
          jobState: pick(states),
          ...(random() < 0.5 ? { presetId: presets[v] } : {}),
          ...(random() < 0.3 ? { deadline: new Date(Date.UTC(2025, 5, 1 + step)) } : {}),
        });
        if (random() < 0.6) await createAgent(db.pool, { workspaceId, buildId: build.buildId });
      } else if (op < 0.6) {
        // Settle an unfinished job of the workspace the way the queue does.
        const job = await db.pool.maybeOne(sql.type(JobRow)`
          SELECT j.id, b.id AS build_id, b.workspace_id FROM provisioner_jobs j
          JOIN workspace_builds b ON b.job_id = j.id
          WHERE b.workspace_id = ${workspaceId} AND j.completed_at IS NULL LIMIT 1`);
        if (job) {
          const outcome = pick(['succeeded', 'failed', 'cancel'] as const);
          await db.pool.query(sql.unsafe`
            UPDATE provisioner_jobs SET
              completed_at = now(),
              error = ${outcome === 'failed' ? 'boom' : null},
              canceled_at = ${outcome === 'cancel' ? new Date().toISOString() : null}
            WHERE id = ${job.id}`);
        }
      } else if (op < 0.85) {
        const agent = await db.pool.maybeOne(sql.type(AgentRow)`
          SELECT id FROM workspace_agents WHERE workspace_id = ${workspaceId}
          ORDER BY random() LIMIT 1`);
        if (agent) {
          await db.pool.query(sql.unsafe`
            UPDATE workspace_agents SET lifecycle_state = ${pick(agentStates)}
            WHERE id = ${agent.id}`);
        }
      } else if (op < 0.95) {
        await db.pool.query(sql.unsafe`
          UPDATE workspace_agents SET deleted = true
          WHERE id = (SELECT id FROM workspace_agents WHERE workspace_id = ${workspaceId} LIMIT 1)`);
      } else {
        await db.pool.query(sql.unsafe`
          DELETE FROM workspace_agents
          WHERE id = (SELECT id FROM workspace_agents WHERE workspace_id = ${workspaceId} LIMIT 1)`);
      }
      for (const row of await compare()) {
        expect({ step, id: row.id, state: row.cached }).toEqual({
          step,
          id: row.id,
          state: row.computed,
        });
      }
    }
  });

  it('sees both of two writers that touch one workspace at the same time', async () => {
    const templateId = await createTemplate(db.pool);
    const versionId = await createTemplateVersion(db.pool, { templateId });
    const presetId = await createPreset(db.pool, { versionId, desiredInstances: 1 });
    const workspaceId = await createWorkspace(db.pool, { ownerId: SYSTEM_USER_ID, templateId });
    const build = await createBuild(db.pool, {
      workspaceId,
      versionId,
      presetId,
      initiatorId: SYSTEM_USER_ID,
      jobState: 'running',
    });
    const agentId = await createAgent(db.pool, {
      workspaceId,
      buildId: build.buildId,
      state: 'starting',
    });
    // The agent turns ready in one transaction while another completes the job; the second
    // waits for the first's lock on the workspace row and must then read what it committed.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let agentUpdated: () => void = () => undefined;
    const updated = new Promise<void>((resolve) => (agentUpdated = resolve));
    const agentTx = db.pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`
        UPDATE workspace_agents SET lifecycle_state = 'ready' WHERE id = ${agentId}`);
      agentUpdated();
      await held;
    });
    await updated;
    const jobTx = db.pool.query(sql.unsafe`
      UPDATE provisioner_jobs SET completed_at = now() WHERE id = ${build.jobId}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await Promise.all([agentTx, jobTx]);
    const State = z.object({ status: z.string().nullable(), ready: z.boolean() });
    expect(
      await db.pool.one(sql.type(State)`
        SELECT latest_build_status::text AS status, latest_agents_ready AS ready
        FROM workspaces WHERE id = ${workspaceId}`),
    ).toEqual({ status: 'succeeded', ready: true });
    for (const row of await compare()) expect(row.cached).toBe(row.computed);
  });
});
