import { randomUUID } from 'node:crypto';

import pg from 'pg';
import { sql } from 'slonik';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { Listener } from '../../src/db/listener.js';
import { createDbPool } from '../../src/db/pool.js';
import { Acquirer } from '../../src/jobs/acquirer.js';
import type { Tags } from '../../src/jobs/model.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/util/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createJob, createUser } from '../helpers/fixtures.js';
import { createTarget, enqueue } from './helpers.js';

const db = useTestDatabase();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const HOUR = 3_600_000;

async function newAcquirer(options: { listen: boolean; pollIntervalMs: number }) {
  let listener: Listener | undefined;
  if (options.listen) {
    listener = new Listener(db.url, silentLogger(), { minBackoffMs: 10, maxBackoffMs: 50 });
    await listener.start();
  }
  const acquirer = new Acquirer({
    db: db.pool,
    ...(listener ? { listener } : {}),
    logger: silentLogger(),
    clock: systemClock,
    pollIntervalMs: options.pollIntervalMs,
    minBackoffMs: 20,
    maxBackoffMs: 200,
  });
  const controller = new AbortController();
  cleanups.push(async () => {
    controller.abort();
    acquirer.close();
    await listener?.stop();
  });
  const acquire = (tags: Tags = {}) =>
    acquirer.acquire({
      workerId: randomUUID(),
      provisioners: ['echo'],
      tags,
      signal: controller.signal,
    });
  return { acquirer, acquire, listener, controller };
}

/** Every pending job of earlier tests is finished so each test sees only its own. */
async function clearQueue() {
  await db.pool.query(
    sql.unsafe`UPDATE provisioner_jobs SET completed_at = now() WHERE completed_at IS NULL`,
  );
}

describe('Acquirer', () => {
  it('picks up a posted job through NOTIFY, long before the backup poll', async () => {
    await clearQueue();
    const { acquirer, acquire } = await newAcquirer({ listen: true, pollIntervalMs: HOUR });
    const waiting = acquire();
    // The new domain looks once, finds nothing, and waits.
    await vi.waitFor(() => expect(acquirer.stats.queries).toBe(1));
    const target = await createTarget(db.pool);
    const { job } = await enqueue(db.pool, target);
    const acquired = await waiting;
    expect(acquired.id).toBe(job.id);
    expect(acquirer.stats.postings).toBeGreaterThanOrEqual(1);
    expect(acquirer.stats.queries).toBe(2);
  });

  it('finds a job whose NOTIFY was lost through the backup poll', async () => {
    await clearQueue();
    const { acquirer, acquire } = await newAcquirer({ listen: true, pollIntervalMs: 200 });
    const waiting = acquire();
    await vi.waitFor(() => expect(acquirer.stats.queries).toBe(1));
    // Inserted without any NOTIFY, as if the poster crashed before publishing.
    const user = await createUser(db.pool);
    const jobId = await createJob(db.pool, { initiatorId: user, state: 'pending' });
    expect((await waiting).id).toBe(jobId);
    expect(acquirer.stats.postings).toBe(0);
  });

  it('works without a listener at all, on the backup poll alone', async () => {
    await clearQueue();
    const { acquirer, acquire } = await newAcquirer({ listen: false, pollIntervalMs: 100 });
    const waiting = acquire();
    await vi.waitFor(() => expect(acquirer.stats.queries).toBe(1));
    const target = await createTarget(db.pool);
    const { job } = await enqueue(db.pool, target);
    expect((await waiting).id).toBe(job.id);
  });

  it('wakes every domain when the listener reconnects (postings may have been lost)', async () => {
    await clearQueue();
    const { acquirer, acquire, listener } = await newAcquirer({
      listen: true,
      pollIntervalMs: HOUR,
    });
    const waiting = acquire();
    await vi.waitFor(() => expect(acquirer.stats.queries).toBe(1));
    const user = await createUser(db.pool);
    const jobId = await createJob(db.pool, { initiatorId: user, state: 'pending' });
    // Cut the listener's connection from the server side.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'prebuild-controller listener' AND datname = current_database()`,
    );
    await admin.end();
    expect((await waiting).id).toBe(jobId);
    expect(listener?.connected).toBe(true);
  });

  it('lets only one caller per domain query, and a posting wakes only a domain that can take it', async () => {
    await clearQueue();
    const { acquirer, acquire } = await newAcquirer({ listen: true, pollIntervalMs: HOUR });
    const untagged = [acquire(), acquire(), acquire()];
    const eu = acquire({ region: 'eu' });
    // Two domains, each looked once; the other callers of the untagged domain wait their turn.
    await vi.waitFor(() => expect(acquirer.stats.queries).toBe(2));
    expect(acquirer.domainCount).toBe(2);

    const euTarget = await createTarget(db.pool, { tags: { region: 'eu' } });
    const euJob = await enqueue(db.pool, euTarget);
    expect((await eu).id).toBe(euJob.job.id);
    expect(acquirer.stats.queries).toBe(3);

    // Three untagged jobs: the one posting woken caller passes its turn on after each job.
    const jobs = [];
    for (let i = 0; i < 3; i++)
      jobs.push((await enqueue(db.pool, await createTarget(db.pool))).job.id);
    const got = await Promise.all(untagged);
    expect(got.map((job) => job.id).sort()).toEqual([...jobs].sort());
    expect(acquirer.domainCount).toBe(0);
  });

  it('cancels cleanly: aborted callers leave, and the turn passes to another', async () => {
    await clearQueue();
    const { acquirer } = await newAcquirer({ listen: true, pollIntervalMs: HOUR });
    const first = new AbortController();
    const second = new AbortController();
    const a = acquirer.acquire({
      workerId: randomUUID(),
      provisioners: ['echo'],
      tags: {},
      signal: first.signal,
    });
    const b = acquirer.acquire({
      workerId: randomUUID(),
      provisioners: ['echo'],
      tags: {},
      signal: second.signal,
    });
    await vi.waitFor(() => expect(acquirer.stats.queries).toBe(1));
    first.abort();
    await expect(a).rejects.toMatchObject({ name: 'AbortError' });
    expect(acquirer.domainCount).toBe(1);
    const { job } = await enqueue(db.pool, await createTarget(db.pool));
    expect((await b).id).toBe(job.id);
    expect(acquirer.domainCount).toBe(0);

    const third = new AbortController();
    const c = acquirer.acquire({
      workerId: randomUUID(),
      provisioners: ['echo'],
      tags: {},
      signal: third.signal,
    });
    third.abort();
    await expect(c).rejects.toMatchObject({ name: 'AbortError' });
    expect(acquirer.domainCount).toBe(0);
  });

  it('backs off on database errors and acquires once the database answers again', async () => {
    await clearQueue();
    // Queries time out after 100 ms while another session holds the table locked.
    const pool = await createDbPool(db.url, { logger: silentLogger(), statementTimeoutMs: 100 });
    const acquirer = new Acquirer({
      db: pool,
      logger: silentLogger(),
      clock: systemClock,
      pollIntervalMs: HOUR,
      minBackoffMs: 20,
      maxBackoffMs: 100,
    });
    const controller = new AbortController();
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    cleanups.push(async () => {
      controller.abort();
      await locker.end().catch(() => undefined);
      await pool.end();
    });
    const user = await createUser(db.pool);
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE provisioner_jobs IN ACCESS EXCLUSIVE MODE');
    const waiting = acquirer.acquire({
      workerId: randomUUID(),
      provisioners: ['echo'],
      tags: {},
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(acquirer.stats.errors).toBeGreaterThanOrEqual(3), {
      timeout: 10_000,
    });
    const orgId = (
      await locker.query<{ id: string }>(`SELECT id FROM organizations WHERE name = 'default'`)
    ).rows[0]?.id;
    const inserted = await locker.query<{ id: string }>(
      `INSERT INTO provisioner_jobs (organization_id, initiator_id, provisioner)
       VALUES ($1, $2, 'echo') RETURNING id`,
      [orgId, user],
    );
    await locker.query('COMMIT');
    expect((await waiting).id).toBe(inserted.rows[0]?.id);
  });
});
