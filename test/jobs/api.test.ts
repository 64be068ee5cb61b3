import { randomUUID } from 'node:crypto';

import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tryAcquireJob } from '../../src/jobs/acquirer.js';
import { jobsApi } from '../../src/jobs/api.js';
import { jobMetricsFor } from '../../src/jobs/metrics.js';
import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/util/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createAgent } from '../helpers/fixtures.js';
import { createTarget, enqueue } from './helpers.js';

const db = useTestDatabase();
let app: FastifyInstance;
const registry = new Registry();
const TOKEN = 'test-token-123';
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  app = await buildApp({
    logger: silentLogger(),
    registry,
    apiToken: TOKEN,
    readiness: async () => ({ ready: true, checks: {} }),
    api: [jobsApi({ db: db.pool, clock: systemClock, metrics: jobMetricsFor(registry) })],
  });
});
afterAll(async () => {
  await app.close();
});

const isolate = () => ({ test: randomUUID().slice(0, 8) });

describe('/api/v1/jobs', () => {
  it('shows a job with its build, and its logs after a line id', async () => {
    const target = await createTarget(db.pool, { tags: isolate() });
    const { build, job } = await enqueue(db.pool, target);
    await db.pool.query(sql.unsafe`
      INSERT INTO provisioner_job_logs (job_id, level, stage, output)
      VALUES (${job.id}, 'info', 'echo', 'one'), (${job.id}, 'warn', 'echo', 'two')`);

    const shown = await app.inject({ method: 'GET', url: `/api/v1/jobs/${job.id}`, headers: auth });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({
      id: job.id,
      status: 'pending',
      provisioner: 'echo',
      build_id: build.id,
      workspace_id: target.workspaceId,
      build_number: 1,
      transition: 'start',
      reason: 'initiator',
    });

    const logs = await app.inject({
      method: 'GET',
      url: `/api/v1/jobs/${job.id}/logs`,
      headers: auth,
    });
    const body = logs.json<{ logs: { id: number; output: string; level: string }[] }>();
    expect(body.logs.map((l) => [l.level, l.output])).toEqual([
      ['info', 'one'],
      ['warn', 'two'],
    ]);
    const after = await app.inject({
      method: 'GET',
      url: `/api/v1/jobs/${job.id}/logs?after=${body.logs[0]?.id}`,
      headers: auth,
    });
    expect(after.json<{ logs: { output: string }[] }>().logs.map((l) => l.output)).toEqual(['two']);
  });

  it('answers 404 for unknown jobs and 400 for a bad query', async () => {
    for (const id of [randomUUID(), 'nope']) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/jobs/${id}`, headers: auth });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'not_found' });
    }
    const target = await createTarget(db.pool, { tags: isolate() });
    const { job } = await enqueue(db.pool, target);
    const bad = await app.inject({
      method: 'GET',
      url: `/api/v1/jobs/${job.id}/logs?after=-1`,
      headers: auth,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toContain('after');
  });

  it('cancels a pending job at once, a running one into canceling, and refuses a finished one', async () => {
    const tags = isolate();
    const pending = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/jobs/${pending.job.id}/cancel`,
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: pending.job.id, status: 'canceled' });
    // Counted: no daemon ever sees a job canceled while pending.
    const canceled = await jobMetricsFor(registry).canceled.get();
    expect(canceled.values.filter((sample) => sample.value > 0)).toEqual([
      { labels: { provisioner: 'echo', type: 'workspace_build' }, value: 1 },
    ]);

    const running = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    await tryAcquireJob(db.pool, {
      now: new Date(),
      workerId: randomUUID(),
      provisioners: ['echo'],
      tags,
    });
    const canceling = await app.inject({
      method: 'POST',
      url: `/api/v1/jobs/${running.job.id}/cancel`,
      headers: auth,
    });
    expect(canceling.json()).toMatchObject({ status: 'canceling' });

    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/jobs/${pending.job.id}/cancel`,
      headers: auth,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      code: 'conflict',
      message: `job ${pending.job.id} is already canceled`,
    });

    const missing = await app.inject({
      method: 'POST',
      url: `/api/v1/jobs/${randomUUID()}/cancel`,
      headers: auth,
    });
    expect(missing.statusCode).toBe(404);
  });

  it('requires the token', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/jobs/${randomUUID()}` });
    expect(res.statusCode).toBe(401);
  });
});

describe('POST /api/v1/workspaces/:id/agents/:name/lifecycle', () => {
  async function workspaceWithAgent() {
    const target = await createTarget(db.pool, { tags: isolate() });
    const { build, job } = await enqueue(db.pool, target);
    await db.pool.query(
      sql.unsafe`UPDATE provisioner_jobs SET started_at = now(), completed_at = now() WHERE id = ${job.id}`,
    );
    await createAgent(db.pool, {
      workspaceId: target.workspaceId,
      buildId: build.id,
      state: 'starting',
    });
    return target;
  }

  it('records the state of an agent of the latest build', async () => {
    const target = await workspaceWithAgent();
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/workspaces/${target.workspaceId}/agents/main/lifecycle`,
      headers: auth,
      payload: { state: 'ready' },
    });
    expect(res.statusCode).toBe(200);
    const agent = res.json<{
      agent: { name: string; lifecycle_state: string; ready_at: string | null };
    }>().agent;
    expect(agent).toMatchObject({ name: 'main', lifecycle_state: 'ready' });
    expect(agent.ready_at).not.toBeNull();
  });

  it.each([
    ['an unknown workspace', () => randomUUID(), 'main', 'workspace'],
    ['a workspace id that is not a UUID', () => 'ws-1', 'main', 'workspace'],
  ])('answers 404 for %s', async (_name, id, agent, word) => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/workspaces/${id()}/agents/${agent}/lifecycle`,
      headers: auth,
      payload: { state: 'ready' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ message: string }>().message).toContain(word);
  });

  it('answers 404 for an unknown agent', async () => {
    const target = await workspaceWithAgent();
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/workspaces/${target.workspaceId}/agents/other/lifecycle`,
      headers: auth,
      payload: { state: 'ready' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ message: string }>().message).toContain('no agent named "other"');
  });

  it.each([
    [{ state: 'sleeping' }, 'state'],
    [{}, 'state'],
    [{ state: 'ready', extra: 1 }, 'extra'],
  ])('answers 400 for %j naming the field', async (payload, field) => {
    const target = await workspaceWithAgent();
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/workspaces/${target.workspaceId}/agents/main/lifecycle`,
      headers: auth,
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'bad_request',
      details: [expect.objectContaining({ path: field })],
    });
  });
});
