import pg from 'pg';
import { type DatabasePool, sql } from 'slonik';

import { CHANNELS } from '../../src/db/channels.js';
import { Listener } from '../../src/db/listener.js';
import { createDbPool } from '../../src/db/pool.js';
import { Acquirer } from '../../src/jobs/acquirer.js';
import { silentLogger } from '../../src/log/logger.js';
import {
  boundQuery,
  closeClients,
  type ConcurrentRun,
  openClients,
  ratio,
  runConcurrently,
} from '../concurrent.js';
import { cpuMeter } from '../cpu.js';
import { BARE_ACQUIRE } from '../references.js';
import { summarize } from '../stats.js';
import type { BenchRow, BenchSuite } from './types.js';

const DAEMONS = 8;
const JOBS = 10_000;
const SYSTEM = 'c42fdf75-3097-471c-8c33-fb52454d81c0';
const PENDING = `started_at IS NULL AND completed_at IS NULL AND canceled_at IS NULL`;

/** `count` pending echo jobs, half of them prebuild (system) jobs, oldest first; their ids. */
async function insertJobs(client: pg.Client, count: number): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO provisioner_jobs (organization_id, initiator_id, provisioner, created_at, updated_at)
     SELECT (SELECT id FROM organizations WHERE name = 'default'),
            CASE WHEN g % 2 = 0 THEN $2::uuid
                 ELSE (SELECT id FROM users WHERE NOT is_system ORDER BY username LIMIT 1) END,
            'echo', now() - interval '1 hour' + g * interval '1 millisecond', now()
     FROM generate_series(1, $1::int) g
     RETURNING id`,
    [count, SYSTEM],
  );
  return rows.map((r) => r.id);
}

async function pendingIds(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT id FROM provisioner_jobs WHERE ${PENDING}`,
  );
  return rows.map((r) => r.id);
}

interface Acquired {
  readonly jobId: string;
  readonly workerId: string;
}

/** Every job that was pending acquired exactly once, started, by the worker that got it. */
async function checkExactlyOnce(
  client: pg.Client,
  expected: readonly string[],
  acquired: readonly Acquired[],
) {
  const { rows } = await client.query<{ id: string; worker_id: string | null; started: boolean }>(
    `SELECT id, worker_id, started_at IS NOT NULL AS started FROM provisioner_jobs
     WHERE id = ANY($1::uuid[])`,
    [expected],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const distinct = new Set(acquired.map((a) => a.jobId));
  const twice = acquired.length - distinct.size;
  const missing = expected.filter((id) => !distinct.has(id)).length;
  const unexpected = [...distinct].filter((id) => !byId.has(id)).length;
  const wrongWorker = acquired.filter((a) => byId.get(a.jobId)?.worker_id !== a.workerId).length;
  const notStarted = rows.filter((r) => !r.started).length;
  const ok = twice === 0 && missing === 0 && unexpected === 0 && wrongWorker === 0;
  return {
    ok: ok && notStarted === 0,
    text: `${ok && notStarted === 0 ? 'OK' : 'FAILED'}: ${acquired.length} acquired, ${distinct.size} distinct of ${expected.length}, ${twice} twice, ${missing} missing, ${wrongWorker} wrong worker`,
  };
}

const workerIds = Array.from(
  { length: DAEMONS },
  (_, k) => `00000000-0000-4000-8000-${String(k + 1).padStart(12, '0')}`,
);

/** One pool of one connection per daemon, as separate provisionerd processes have. */
async function daemonPools(url: string): Promise<DatabasePool[]> {
  return Promise.all(
    workerIds.map(() => createDbPool(url, { logger: silentLogger(), maximumPoolSize: 1 })),
  );
}

/**
 * Job acquisition throughput: 10k pending jobs, 8 daemons taking them until none is left, three
 * ways, each on a fresh batch (VACUUM ANALYZE before each): the bare statement
 * (bench/references.ts) and our AcquireProvisionerJob each on 8 plain pg clients, then 8
 * Acquirers (src/jobs/acquirer.ts, one per daemon with a one-connection pool, as provisionerd
 * runs it). Then the exactly-once check on each. Job execution is not part of it.
 */
export const acquisition: BenchSuite = {
  name: 'acquisition',
  description: `${DAEMONS} daemons acquire ${JOBS} jobs, vs the bare statement`,
  async run({ url }) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const clients = await openClients(url, DAEMONS);
    const pools = await daemonPools(url);
    const acquirers = pools.map(
      (db) =>
        new Acquirer({
          db,
          logger: silentLogger(),
          clock: { now: () => new Date() },
          pollIntervalMs: 1_000,
        }),
    );
    try {
      const meter = cpuMeter(admin);
      const variant = async (
        name: string,
        take: (worker: number) => Promise<string | undefined>,
      ) => {
        await insertJobs(admin, JOBS);
        await admin.query('VACUUM ANALYZE provisioner_jobs');
        const expected = await pendingIds(admin);
        const acquired: Acquired[] = [];
        await meter.start();
        const run: ConcurrentRun = await runConcurrently(
          DAEMONS,
          expected.length,
          async (worker) => {
            const id = await take(worker);
            if (id) acquired.push({ jobId: id, workerId: workerIds[worker] as string });
            return id !== undefined;
          },
        );
        const cpu = meter.stop();
        const check = await checkExactlyOnce(admin, expected, acquired);
        const perJob = (ms: number | null) =>
          ms === null ? null : Math.round((ms / Math.max(1, run.done)) * 1000) / 1000;
        return {
          name,
          run,
          check,
          cpuPerJob: { postgresMs: perJob(cpu.backendMs), nodeMs: perJob(cpu.nodeMs) },
        };
      };
      const bare = await variant('bare', (worker) =>
        (clients[worker] as pg.Client)
          .query<{ id: string }>(BARE_ACQUIRE, [workerIds[worker]])
          .then((r) => r.rows[0]?.id),
      );
      const statement = await variant('statement', (worker) => {
        const q = boundQuery('AcquireProvisionerJob', {
          now: new Date(),
          worker_id: workerIds[worker],
          provisioners: ['echo'],
          tags: {},
        });
        return (clients[worker] as pg.Client)
          .query<{ id: string }>(q.text, q.values)
          .then((r) => r.rows[0]?.id);
      });
      // slonik opens connections lazily and closes idle ones after 10 s: open them now.
      await Promise.all(pools.map((p) => p.query(sql.unsafe`SELECT 1`)));
      const ours = await variant('ours (Acquirer)', async (worker) => {
        try {
          const job = await (acquirers[worker] as Acquirer).acquire({
            workerId: workerIds[worker] as string,
            provisioners: ['echo'],
            tags: {},
            signal: AbortSignal.timeout(30_000),
          });
          return job.id;
        } catch {
          return undefined;
        }
      });
      const variants = [bare, statement, ours];
      const line = (v: (typeof variants)[number], withRatio: boolean): BenchRow => ({
        metric: `${v.name}: jobs/s, p50 / p99${withRatio ? ' (ratio to bare)' : ''}`,
        value: `${v.run.perSecond}, ${v.run.latency.median} / ${v.run.latency.p99} ms${
          withRatio ? ` (${ratio(v.run.perSecond, bare.run.perSecond)})` : ''
        }; CPU/job ${v.cpuPerJob.postgresMs ?? '?'} PG + ${v.cpuPerJob.nodeMs} Node ms`,
      });
      const failed = variants.filter((v) => !v.check.ok);
      return {
        rows: [
          line(bare, false),
          line(statement, true),
          line(ours, true),
          {
            metric: `exactly-once check (${variants.length} runs of ${JOBS}+)`,
            value:
              failed.length === 0
                ? 'OK: every job acquired once, by the worker recorded on it'
                : failed.map((v) => `${v.name}: ${v.check.text}`).join('; '),
          },
        ],
        details: {
          daemons: DAEMONS,
          jobs: JOBS,
          variants,
          ratios: {
            oursToBare: ours.run.perSecond / bare.run.perSecond,
            statementToBare: statement.run.perSecond / bare.run.perSecond,
          },
        },
      };
    } finally {
      for (const a of acquirers) a.close();
      await Promise.all(pools.map((p) => p.end()));
      await closeClients(clients);
      await admin.end();
    }
  },
};

/**
 * NOTIFY wake-up latency: 8 idle daemons wait on an empty queue; one job at a time is inserted
 * and posted (INSERT + pg_notify on the job channel in one transaction, as enqueue does), and the
 * time from the start of that transaction until a daemon holds the job is measured, with a short
 * random pause between jobs. Ours: 8 Acquirers, each with its own Listener and one-connection
 * pool (backup poll 30 s, so only the NOTIFY wakes them). Reference: 8 plain pg clients that
 * LISTEN and run the bare acquire statement on each notification.
 */
export const wakeup: BenchSuite = {
  name: 'wakeup',
  description: `insert -> acquired with ${DAEMONS} idle daemons (NOTIFY), vs bare LISTEN clients`,
  async run({ url, runs }) {
    const samples = Math.max(100, runs * 10);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // Nothing pending: the daemons must be idle.
      await admin.query(
        `UPDATE provisioner_jobs SET started_at = now(), completed_at = now(), updated_at = now()
         WHERE ${PENDING}`,
      );
      const poster = new pg.Client({ connectionString: url });
      await poster.connect();
      const post = async () => {
        await poster.query('BEGIN');
        const [id] = await insertJobs(poster, 1);
        await poster.query('SELECT pg_notify($1, $2)', [
          CHANNELS.jobPosted,
          JSON.stringify({ job_id: id, provisioner: 'echo', tags: {} }),
        ]);
        await poster.query('COMMIT');
        return id as string;
      };

      /** Posts `samples` jobs one by one; `waitFor(id)` resolves when a daemon has it. */
      const measure = async (waitFor: (id: string) => Promise<void>, warmup: number) => {
        const latencies: number[] = [];
        for (let i = 0; i < samples + warmup; i++) {
          const t0 = performance.now();
          const id = await post();
          await waitFor(id);
          if (i >= warmup) latencies.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
        }
        return summarize(latencies);
      };

      const waiters = new Map<string, () => void>();
      const arrived = new Set<string>();
      const got = (id: string) => {
        const resolve = waiters.get(id);
        if (resolve) resolve();
        else arrived.add(id);
      };
      const waitFor = (id: string) =>
        new Promise<void>((resolve, reject) => {
          if (arrived.delete(id)) return resolve();
          const timer = setTimeout(
            () => reject(new Error(`job ${id} not acquired in 10 s`)),
            10_000,
          );
          waiters.set(id, () => {
            clearTimeout(timer);
            waiters.delete(id);
            resolve();
          });
        });

      // Reference: bare LISTEN clients.
      const bareClients = await openClients(url, DAEMONS);
      let bare;
      try {
        await Promise.all(
          bareClients.map(async (client, k) => {
            await client.query(`LISTEN ${CHANNELS.jobPosted}`);
            client.on('notification', () => {
              void client.query<{ id: string }>(BARE_ACQUIRE, [workerIds[k]]).then((r) => {
                const id = r.rows[0]?.id;
                if (id) got(id);
              });
            });
          }),
        );
        bare = await measure(waitFor, 5);
      } finally {
        await closeClients(bareClients);
      }

      // Ours: idle Acquirers woken by their Listeners.
      const pools = await daemonPools(url);
      const listeners = workerIds.map(() => new Listener(url, silentLogger()));
      await Promise.all(listeners.map((l) => l.start()));
      const acquirers = pools.map(
        (db, k) =>
          new Acquirer({
            db,
            listener: listeners[k],
            logger: silentLogger(),
            clock: { now: () => new Date() },
            pollIntervalMs: 30_000,
          }),
      );
      const stop = new AbortController();
      const loops = acquirers.map(async (acquirer, k) => {
        for (;;) {
          try {
            const job = await acquirer.acquire({
              workerId: workerIds[k] as string,
              provisioners: ['echo'],
              tags: {},
              signal: stop.signal,
            });
            got(job.id);
          } catch {
            return;
          }
        }
      });
      let ours;
      try {
        // Let the LISTENs land; the warm-up jobs would be found by the poll at worst.
        await new Promise((r) => setTimeout(r, 300));
        ours = await measure(waitFor, 5);
      } finally {
        stop.abort();
        await Promise.all(loops);
        for (const a of acquirers) a.close();
        await Promise.all(listeners.map((l) => l.stop()));
        await Promise.all(pools.map((p) => p.end()));
        await poster.end();
      }
      return {
        rows: [
          {
            metric: 'bare LISTEN clients: insert -> acquired p50 / p99',
            value: `${bare.median} / ${bare.p99}`,
            unit: 'ms',
          },
          {
            metric: 'ours (Acquirer + Listener): insert -> acquired p50 / p99 (ratio to bare)',
            value: `${ours.median} / ${ours.p99} ms (${ratio(ours.median, bare.median)} p50, ${ratio(ours.p99, bare.p99)} p99)`,
          },
        ],
        details: { daemons: DAEMONS, samples, bare, ours },
      };
    } finally {
      await admin.end();
    }
  },
};
