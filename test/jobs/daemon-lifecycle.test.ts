import { randomUUID } from 'node:crypto';

import { Registry } from 'prom-client';
import { sql } from 'slonik';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import { tryAcquireJob } from '../../src/jobs/acquirer.js';
import { jobMetricsFor } from '../../src/jobs/metrics.js';
import { JobReaper } from '../../src/jobs/reaper.js';
import { cancelJob } from '../../src/jobs/service.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import {
  createTarget,
  enqueue,
  jobState,
  startTestDaemon,
  type TestDaemon,
  waitForJob,
} from './helpers.js';

const db = useTestDatabase();
const daemons: TestDaemon[] = [];
afterEach(async () => {
  while (daemons.length > 0) await daemons.pop()?.stop();
});

const isolate = () => ({ test: randomUUID().slice(0, 8) });

async function daemon(options: Omit<Parameters<typeof startTestDaemon>[0], 'db' | 'url'>) {
  const started = await startTestDaemon({ db: db.pool, url: db.url, ...options });
  daemons.push(started);
  return started;
}

const MINUTE = 60_000;

describe('cancel', () => {
  it('cancels a pending job at once; no daemon takes it and the workspace can build again', async () => {
    const tags = isolate();
    const target = await createTarget(db.pool, { tags });
    const { job } = await enqueue(db.pool, target);
    const result = await cancelJob(db.pool, job.id, new Date());
    expect(result).toMatchObject({ outcome: 'canceled', job: { status: 'canceled' } });
    await daemon({ tags, pollIntervalMs: 50 });
    const next = await enqueue(db.pool, target);
    await waitForJob(db.pool, next.job.id);
    expect(await jobState(db.pool, job.id)).toEqual({
      job_status: 'canceled',
      error: null,
      error_code: null,
    });
    expect((await cancelJob(db.pool, job.id, new Date())).outcome).toBe('finished');
  });

  it('stops a running job at its next heartbeat and ends it canceled', async () => {
    const tags = isolate();
    const target = await createTarget(db.pool, { tags });
    await daemon({ tags, echo: { durationMs: 60_000 } });
    const { build, job } = await enqueue(db.pool, target);
    await waitForJob(db.pool, job.id, ['running']);
    expect((await cancelJob(db.pool, job.id, new Date())).outcome).toBe('canceling');
    // Asking again while it stops is harmless.
    expect((await cancelJob(db.pool, job.id, new Date())).outcome).toBe('canceling');
    expect(await waitForJob(db.pool, job.id)).toEqual({
      job_status: 'canceled',
      error: null,
      error_code: null,
    });
    const agents = await db.pool.anyFirst(
      sql.type(
        z.object({ id: z.string() }),
      )`SELECT id FROM workspace_agents WHERE workspace_build_id = ${build.id}`,
    );
    expect(agents).toEqual([]);
  });

  it('reports unknown jobs', async () => {
    expect((await cancelJob(db.pool, randomUUID(), new Date())).outcome).toBe('not_found');
    expect((await cancelJob(db.pool, 'not-a-uuid', new Date())).outcome).toBe('not_found');
  });
});

describe('graceful shutdown', () => {
  it('lets a running job finish before the deadline, then takes no new job', async () => {
    const tags = isolate();
    const d = await daemon({ tags, echo: { durationMs: 300 } });
    const { job } = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    await waitForJob(db.pool, job.id, ['running']);
    await d.stop(new Date(Date.now() + 10_000));
    expect((await jobState(db.pool, job.id)).job_status).toBe('succeeded');
    const later = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await jobState(db.pool, later.job.id)).job_status).toBe('pending');
  });

  it('fails jobs still running at the deadline as interrupted', async () => {
    const tags = isolate();
    const d = await daemon({ tags, echo: { durationMs: 60_000 }, concurrency: 2 });
    const a = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    const b = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    await waitForJob(db.pool, a.job.id, ['running']);
    await waitForJob(db.pool, b.job.id, ['running']);
    await d.stop(new Date(Date.now() + 200));
    for (const { job } of [a, b]) {
      expect(await jobState(db.pool, job.id)).toEqual({
        job_status: 'failed',
        error_code: 'interrupted',
        error: expect.stringMatching(
          /^interrupted: provisioner daemon .* shut down before the job finished$/,
        ) as unknown,
      });
    }
  });
});

describe('reaper', () => {
  it('fails a job whose daemon died mid-job, and only that one', async () => {
    const tags = isolate();
    const clock = new FakeClock('2026-04-01T12:00:00Z');
    const dead = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    const alive = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    // A daemon takes the first job and then dies: no heartbeat, no completion.
    expect(
      (
        await tryAcquireJob(db.pool, {
          now: clock.now(),
          workerId: randomUUID(),
          provisioners: ['echo'],
          tags,
        })
      )?.id,
    ).toBe(dead.job.id);
    expect(
      (
        await tryAcquireJob(db.pool, {
          now: new Date(clock.now().getTime() + 4 * MINUTE),
          workerId: randomUUID(),
          provisioners: ['echo'],
          tags,
        })
      )?.id,
    ).toBe(alive.job.id);

    const registry = new Registry();
    const reaper = new JobReaper({
      db: db.pool,
      clock,
      logger: silentLogger(),
      timeoutMs: 5 * MINUTE,
      metrics: jobMetricsFor(registry),
    });
    clock.advance(5 * MINUTE + 1);
    expect(await reaper.reapOnce()).toEqual([dead.job.id]);
    expect(await jobState(db.pool, dead.job.id)).toEqual({
      job_status: 'failed',
      error_code: 'heartbeat_timeout',
      error:
        'provisioner daemon stopped heartbeating: no heartbeat since 2026-04-01T12:00:00Z (timeout 5m); the job was failed by the reaper',
    });
    expect((await jobState(db.pool, alive.job.id)).job_status).toBe('running');
    expect(await reaper.reapOnce()).toEqual([]);
    expect(await registry.metrics()).toContain(
      'coderd_provisioner_jobs_reaped_total{provisioner="echo",type="workspace_build"} 1',
    );
  });

  it('is safe with several replicas reaping at once', async () => {
    const tags = isolate();
    const clock = new FakeClock('2026-04-02T12:00:00Z');
    const jobs: string[] = [];
    for (let i = 0; i < 30; i++) {
      jobs.push((await enqueue(db.pool, await createTarget(db.pool, { tags }))).job.id);
      await tryAcquireJob(db.pool, {
        now: clock.now(),
        workerId: randomUUID(),
        provisioners: ['echo'],
        tags,
      });
    }
    clock.advance(10 * MINUTE);
    const reapers = Array.from(
      { length: 4 },
      () => new JobReaper({ db: db.pool, clock, logger: silentLogger(), timeoutMs: 5 * MINUTE }),
    );
    const reaped = (await Promise.all(reapers.map((r) => r.reapOnce()))).flat();
    expect(reaped.filter((id) => jobs.includes(id)).sort()).toEqual([...jobs].sort());
    expect(new Set(reaped).size).toBe(reaped.length);
  });

  it('leaves a reaped job failed even if its daemon was alive, and the daemon carries on', async () => {
    const tags = isolate();
    const d = await daemon({ tags, echo: { durationMs: 60_000 }, pollIntervalMs: 100 });
    const { job } = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    await waitForJob(db.pool, job.id, ['running']);
    // A reaper whose clock is far ahead sees the heartbeat as stale.
    const ahead = { now: () => new Date(Date.now() + 10 * MINUTE) };
    const reaper = new JobReaper({
      db: db.pool,
      clock: ahead,
      logger: silentLogger(),
      timeoutMs: 5 * MINUTE,
    });
    expect(await reaper.reapOnce()).toContain(job.id);
    // The daemon notices at its next heartbeat, stops, and does not overwrite the result.
    const next = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    await waitForJob(db.pool, next.job.id, ['running']);
    expect((await jobState(db.pool, job.id)).error_code).toBe('heartbeat_timeout');
    await vi.waitFor(async () => {
      const Line = z.object({ output: z.string() });
      const lines = await db.pool.anyFirst(
        sql.type(Line)`SELECT output FROM provisioner_job_logs WHERE job_id = ${job.id}`,
      );
      expect(lines).toContain('job taken away from this daemon');
    });
    await d.stop(new Date());
    expect((await jobState(db.pool, next.job.id)).error_code).toBe('interrupted');
  });
});
