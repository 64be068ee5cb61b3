import { randomUUID } from 'node:crypto';

import pg from 'pg';
import { Registry } from 'prom-client';
import { sql } from 'slonik';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import { CHANNELS } from '../../src/db/channels.js';
import { jobMetricsFor } from '../../src/jobs/metrics.js';
import { SYSTEM_USER_ID } from '../../src/jobs/model.js';
import { useTestDatabase } from '../helpers/db.js';
import { FakeClock } from '../helpers/clock.js';
import { createJob, createUser, createWorkspace } from '../helpers/fixtures.js';
import { createTarget, enqueue, startTestDaemon, type TestDaemon, waitForJob } from './helpers.js';

const db = useTestDatabase();
const daemons: TestDaemon[] = [];
afterEach(async () => {
  while (daemons.length > 0) await daemons.pop()?.stop();
});

let listenClient: pg.Client;
const completed: Record<string, unknown>[] = [];
beforeAll(async () => {
  listenClient = new pg.Client({ connectionString: db.url });
  await listenClient.connect();
  listenClient.on('notification', (message) => {
    if (message.channel === CHANNELS.jobCompleted) {
      completed.push(JSON.parse(message.payload ?? '{}') as Record<string, unknown>);
    }
  });
  await listenClient.query(`LISTEN ${CHANNELS.jobCompleted}`);
});
afterAll(async () => {
  await listenClient.end();
});

/** Each test's jobs carry their own tag, so daemons of one test never take another's jobs. */
const isolate = () => ({ test: randomUUID().slice(0, 8) });

async function daemon(options: Omit<Parameters<typeof startTestDaemon>[0], 'db' | 'url'>) {
  const started = await startTestDaemon({ db: db.pool, url: db.url, ...options });
  daemons.push(started);
  return started;
}

const Agent = z.object({
  name: z.string(),
  lifecycle_state: z.string(),
  ready_at: z.date().nullable(),
});
const agentsOf = (buildId: string) =>
  db.pool.any(sql.type(Agent)`
    SELECT name, lifecycle_state::text, ready_at FROM workspace_agents
    WHERE workspace_build_id = ${buildId} ORDER BY name`);

const BuildTimes = z.object({ deadline: z.date().nullable(), max_deadline: z.date().nullable() });
const buildTimes = (buildId: string) =>
  db.pool.one(
    sql.type(BuildTimes)`SELECT deadline, max_deadline FROM workspace_builds WHERE id = ${buildId}`,
  );

const WorkspaceRow = z.object({ deleted: z.boolean(), next_start_at: z.date().nullable() });
const workspaceRow = (id: string) =>
  db.pool.one(
    sql.type(WorkspaceRow)`SELECT deleted, next_start_at FROM workspaces WHERE id = ${id}`,
  );

describe('provisioner daemon', () => {
  it('registers itself in provisioner_daemons', async () => {
    const tags = isolate();
    const { daemon: d } = await daemon({ tags, name: `reg-${tags.test}` });
    const Row = z.object({
      id: z.string(),
      provisioners: z.array(z.string()),
      tags: z.record(z.string()),
    });
    const row = await db.pool.one(
      sql.type(Row)`SELECT id, provisioners::text[] AS provisioners, tags FROM provisioner_daemons
                    WHERE name = ${`reg-${tags.test}`}`,
    );
    expect(row).toEqual({ id: d.id, provisioners: ['echo'], tags });
  });

  it('completes a start build: deadline, max_deadline, agents, next_start_at, logs, NOTIFY', async () => {
    const tags = isolate();
    const clock = new FakeClock('2026-03-02T10:00:00Z');
    const target = await createTarget(db.pool, {
      tags,
      ttlMs: 24 * 3_600_000,
      autostartSchedule: 'CRON_TZ=Europe/Berlin 30 8 * * *',
      template: { autostopRequirementDaysOfWeek: 0x7f, autostartBlockDaysOfWeek: 1 << 1 },
    });
    await daemon({ tags, clock });
    const { build, job } = await enqueue(db.pool, target);
    expect(await waitForJob(db.pool, job.id)).toMatchObject({
      job_status: 'succeeded',
      error: null,
    });

    // Quiet hours default to midnight UTC: max_deadline Tuesday 00:00, which caps now + 24 h.
    expect(await buildTimes(build.id)).toEqual({
      deadline: new Date('2026-03-03T00:00:00Z'),
      max_deadline: new Date('2026-03-03T00:00:00Z'),
    });
    expect(await agentsOf(build.id)).toEqual([
      { name: 'main', lifecycle_state: 'ready', ready_at: new Date('2026-03-02T10:00:00Z') },
    ]);
    // Tuesday is blocked: Wednesday 08:30 Berlin.
    expect((await workspaceRow(target.workspaceId)).next_start_at).toEqual(
      new Date('2026-03-04T07:30:00Z'),
    );

    const Line = z.object({ stage: z.string(), output: z.string() });
    const lines = await db.pool.any(
      sql.type(
        Line,
      )`SELECT stage, output FROM provisioner_job_logs WHERE job_id = ${job.id} ORDER BY id`,
    );
    expect(lines.map((l) => l.output)).toEqual([
      expect.stringMatching(/^acquired by provisioner daemon /),
      expect.stringMatching(/^start workspace ws-/),
      'start done',
      'job succeeded',
    ]);
    await vi.waitFor(() =>
      expect(completed).toContainEqual({
        job_id: job.id,
        workspace_id: target.workspaceId,
        preset_id: null,
        status: 'succeeded',
        transition: 'start',
      }),
    );
  });

  it('gives prebuilds no deadline and a workspace without TTL none either', async () => {
    const tags = isolate();
    const target = await createTarget(db.pool, { tags });
    const prebuild = await createWorkspace(db.pool, {
      ownerId: SYSTEM_USER_ID,
      templateId: target.templateId,
    });
    await daemon({ tags });
    const human = await enqueue(db.pool, target);
    const pre = await enqueue(
      db.pool,
      { workspaceId: prebuild, ownerId: SYSTEM_USER_ID },
      { reason: 'prebuild' },
    );
    await waitForJob(db.pool, human.job.id);
    await waitForJob(db.pool, pre.job.id);
    expect(await buildTimes(human.build.id)).toEqual({ deadline: null, max_deadline: null });
    expect(await buildTimes(pre.build.id)).toEqual({ deadline: null, max_deadline: null });
  });

  it('marks the workspace deleted when its delete build succeeds', async () => {
    const tags = isolate();
    const target = await createTarget(db.pool, { tags });
    await daemon({ tags });
    const start = await enqueue(db.pool, target);
    await waitForJob(db.pool, start.job.id);
    const del = await enqueue(db.pool, target, { transition: 'delete' });
    expect(await waitForJob(db.pool, del.job.id)).toMatchObject({ job_status: 'succeeded' });
    expect(await workspaceRow(target.workspaceId)).toEqual({ deleted: true, next_start_at: null });
    expect(await agentsOf(del.build.id)).toEqual([]);
    const Deleted = z.object({ deleted: z.boolean() });
    const startAgents = await db.pool.any(
      sql.type(
        Deleted,
      )`SELECT deleted FROM workspace_agents WHERE workspace_build_id = ${start.build.id}`,
    );
    expect(startAgents).toEqual([{ deleted: true }]);
  });

  it('fails a job whose provisioner fails, with error and error code, and keeps going', async () => {
    const tags = isolate();
    const target = await createTarget(db.pool, { tags });
    const registry = new Registry();
    await daemon({ tags, echo: { failureRate: 1 }, metrics: jobMetricsFor(registry) });
    const { build, job } = await enqueue(db.pool, target);
    expect(await waitForJob(db.pool, job.id)).toEqual({
      job_status: 'failed',
      error: 'echo: simulated failure (failure rate 1, seed "test")',
      error_code: 'provisioner_failed',
    });
    expect(await agentsOf(build.id)).toEqual([]);
    await vi.waitFor(() =>
      expect(completed).toContainEqual(
        expect.objectContaining({ job_id: job.id, status: 'failed' }),
      ),
    );
    expect(await registry.metrics()).toContain(
      'coderd_provisioner_jobs_failed_total{provisioner="echo",type="workspace_build",error_code="provisioner_failed"} 1',
    );
  });

  it('fails a job whose result cannot be recorded (a stored value out of range) instead of leaving it running', async () => {
    const tags = isolate();
    const target = await createTarget(db.pool, { tags });
    const { job } = await enqueue(db.pool, target);
    // A row no version should have written: beyond 2^53, the completion cannot read it.
    await db.pool.query(
      sql.unsafe`UPDATE templates SET default_ttl = 86400000000000000 WHERE id = ${target.templateId}`,
    );
    const registry = new Registry();
    await daemon({ tags, metrics: jobMetricsFor(registry) });
    expect(await waitForJob(db.pool, job.id, undefined, 5_000)).toEqual({
      job_status: 'failed',
      error:
        "the succeeded result could not be recorded: int8 value out of JavaScript's safe integer range in column default_ttl = 86400000000000000",
      error_code: 'internal_error',
    });
    await vi.waitFor(() =>
      expect(completed).toContainEqual(
        expect.objectContaining({ job_id: job.id, status: 'failed' }),
      ),
    );
    expect(await registry.metrics()).toContain(
      'coderd_provisioner_jobs_failed_total{provisioner="echo",type="workspace_build",error_code="internal_error"} 1',
    );
    // The daemon goes on with the next job.
    const healthy = await createTarget(db.pool, { tags });
    const next = await enqueue(db.pool, healthy);
    expect((await waitForJob(db.pool, next.job.id)).job_status).toBe('succeeded');
  });

  it('records agents "starting" and makes them ready after the echo delay', async () => {
    const tags = isolate();
    const target = await createTarget(db.pool, { tags });
    await daemon({ tags, echo: { agentReadyDelayMs: 300 } });
    const { build, job } = await enqueue(db.pool, target);
    await waitForJob(db.pool, job.id);
    expect((await agentsOf(build.id))[0]?.lifecycle_state).toBe('starting');
    await vi.waitFor(async () =>
      expect((await agentsOf(build.id))[0]?.lifecycle_state).toBe('ready'),
    );
  });

  it('turns bad jobs into job errors without crashing: unknown provisioner, invalid input', async () => {
    const tags = isolate();
    // Advertises exec but has no exec provisioner; the junk job comes without NOTIFY (poll).
    await daemon({ tags, provisioners: ['echo', 'exec'], pollIntervalMs: 100 });
    const execTarget = await createTarget(db.pool, { tags, provisioner: 'exec' });
    const exec = await enqueue(db.pool, execTarget);
    expect(await waitForJob(db.pool, exec.job.id)).toMatchObject({
      job_status: 'failed',
      error_code: 'unknown_provisioner',
      error: expect.stringContaining('unknown provisioner "exec"') as unknown,
    });
    const user = await createUser(db.pool);
    const junk = await createJob(db.pool, {
      initiatorId: user,
      state: 'pending',
      tags,
      input: { hello: 'world' },
    });
    expect(await waitForJob(db.pool, junk)).toMatchObject({
      job_status: 'failed',
      error_code: 'invalid_input',
      error: expect.stringContaining(
        'job input is not a workspace build: workspace_build_id: Required',
      ) as unknown,
    });
    // Still alive.
    const echo = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    expect(await waitForJob(db.pool, echo.job.id)).toMatchObject({ job_status: 'succeeded' });
  });
});
