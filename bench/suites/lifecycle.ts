import pg from 'pg';

import { createDbPool } from '../../src/db/pool.js';
import { scheduleTick } from '../../src/lifecycle/scheduler.js';
import { silentLogger } from '../../src/log/logger.js';
import { boundQuery, ratio } from '../concurrent.js';
import { cpuMs, schedstat } from '../cpu.js';
import { summarize } from '../stats.js';
import { timeStatements, topStatements } from '../statement-timer.js';
import type { BenchSuite } from './types.js';

const SYSTEM = `'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid`;
const DAY_MS = 86_400_000;
const ACTIVE_WINDOW_MS = 3_600_000;

/**
 * The reference: the least a tick must read, the union of the rules' index range scans returning
 * ids only (no per-candidate state, no decision). $1 now.
 */
const BARE_CANDIDATES = `SELECT count(*)::int AS n FROM (
  SELECT id FROM workspaces WHERE NOT deleted AND owner_id <> ${SYSTEM}
    AND autostop_at IS NOT NULL AND autostop_at <= $1::timestamptz
  UNION SELECT id FROM workspaces WHERE NOT deleted AND owner_id <> ${SYSTEM}
    AND next_start_at IS NOT NULL AND next_start_at <= $1::timestamptz
  UNION SELECT id FROM workspaces WHERE NOT deleted AND owner_id <> ${SYSTEM}
    AND failed_build_at IS NOT NULL AND failed_build_at < $1::timestamptz
  UNION SELECT id FROM workspaces WHERE NOT deleted AND deleting_at IS NOT NULL
    AND deleting_at < $1::timestamptz
) c`;

interface Buffers {
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Actual Rows'?: number;
}

/**
 * Gives the seeded users' workspaces what a lifecycle tick looks at, in a realistic share: 30 %
 * of the live ones an autostart schedule with the cached next start spread over the coming week
 * (so about 1 in 10,000 is due in any minute), every 4th template a 21-day dormancy threshold with
 * the workspaces already past it marked dormant except those that crossed it in the last hour.
 * The seed's history supplies the rest (prebuilds, deleted and stopped workspaces: not
 * candidates).
 */
async function prepare(client: pg.Client): Promise<Record<string, number>> {
  await client.query(
    `UPDATE workspaces
     SET autostart_schedule = 'CRON_TZ=UTC 0 9 * * 1-5',
         next_start_at = now() - interval '1 minute' + random() * interval '7 days'
     WHERE NOT deleted AND owner_id <> ${SYSTEM} AND random() < 0.3`,
  );
  await client.query(
    `UPDATE templates SET time_til_dormant = $1::bigint
     WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (ORDER BY name) AS n FROM templates
                                  WHERE name LIKE 'tpl-%') t WHERE n % 4 = 0)`,
    [21 * DAY_MS],
  );
  await client.query(
    `UPDATE workspaces w SET dormant_at = w.last_used_at + interval '21 days'
     FROM templates t
     WHERE t.id = w.template_id AND t.time_til_dormant > 0 AND NOT w.deleted
       AND w.owner_id <> ${SYSTEM} AND w.dormant_at IS NULL
       AND w.last_used_at < now() - interval '21 days' - interval '1 hour'`,
  );
  await client.query('VACUUM ANALYZE workspaces, templates');
  const { rows } = await client.query<{ live: number; schedules: number; dormant: number }>(
    `SELECT count(*) FILTER (WHERE NOT deleted)::int AS live,
            count(*) FILTER (WHERE NOT deleted AND autostart_schedule IS NOT NULL)::int AS schedules,
            count(*) FILTER (WHERE NOT deleted AND dormant_at IS NOT NULL)::int AS dormant
     FROM workspaces`,
  );
  return rows[0] as unknown as Record<string, number>;
}

/**
 * The lifecycle scheduler's tick (src/lifecycle/scheduler.ts scheduleTick: one candidate query,
 * the pure decisions, stale jobs canceled, new ones inserted, next starts refreshed) repeated on
 * the seeded size with a realistic share of schedules (see prepare); the first tick, which
 * inserts the jobs of the due workspaces, is reported on its own, the steady ticks after it as a
 * median. Next to it the bare candidate union (ids only), and the candidate query's EXPLAIN
 * ANALYZE buffers: what a tick touches should follow the candidates, not the workspaces.
 * Changes data (schedules, lifecycle jobs): runs after the read-only suites.
 */
export const lifecycleTick: BenchSuite = {
  name: 'lifecycle-tick',
  description: 'scheduler tick with 30 % of workspaces on schedules, vs the bare candidate union',
  async run({ url, runs }) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const pool = await createDbPool(url, { logger: silentLogger(), maximumPoolSize: 1 });
    try {
      await admin.query('SET jit = off');
      const shares = await prepare(admin);
      const deps = { pool, logger: silentLogger(), activeWindowMs: ACTIVE_WINDOW_MS };
      const t0 = performance.now();
      const first = await scheduleTick(deps, new Date());
      const firstMs = performance.now() - t0;
      const wall: number[] = [];
      const nodeCpu: number[] = [];
      let candidates = 0;
      for (let i = 0; i < runs + 2; i++) {
        const node = process.cpuUsage();
        const started = performance.now();
        const result = await scheduleTick(deps, new Date());
        if (i < 2) continue;
        wall.push(performance.now() - started);
        const used = process.cpuUsage(node);
        nodeCpu.push((used.user + used.system) / 1000);
        candidates = result.candidates;
      }
      // Where a steady tick's time goes: every statement it sends, timed (5 ticks).
      const PROFILED = 5;
      const { statements } = await timeStatements(async () => {
        for (let i = 0; i < PROFILED; i++) await scheduleTick(deps, new Date());
      });
      const pid = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
        ?.pid as number;
      const bareWall: number[] = [];
      const bareCpu: number[] = [];
      let bareCount = 0;
      for (let i = 0; i < runs + 2; i++) {
        const before = schedstat(pid);
        const started = performance.now();
        const { rows } = await admin.query<{ n: number }>(BARE_CANDIDATES, [new Date()]);
        if (i < 2) continue;
        bareWall.push(performance.now() - started);
        const used = cpuMs(before, schedstat(pid));
        if (used !== null) bareCpu.push(used);
        bareCount = rows[0]?.n ?? 0;
      }
      const q = boundQuery('LifecycleCandidates', {
        now: new Date(),
        active_window_ms: ACTIVE_WINDOW_MS,
      });
      const explained = await admin.query<{
        'QUERY PLAN': { Plan: Buffers; 'Execution Time': number }[];
      }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${q.text}`, q.values);
      const plan = explained.rows[0]?.['QUERY PLAN'][0];
      const buffers =
        (plan?.Plan['Shared Hit Blocks'] ?? 0) + (plan?.Plan['Shared Read Blocks'] ?? 0);
      const tick = summarize(wall);
      const bare = summarize(bareWall);
      return {
        rows: [
          {
            metric: 'workspaces live / with schedules / dormant',
            value: `${shares.live} / ${shares.schedules} / ${shares.dormant}`,
          },
          {
            metric: 'first tick (inserts the due jobs): wall, candidates, jobs created',
            value: `${Math.round(firstMs * 100) / 100} ms, ${first.candidates}, ${first.created.length}`,
          },
          {
            metric: 'steady tick: wall median / p95 (Node.js CPU median)',
            value: `${tick.median} / ${tick.p95} ms (${summarize(nodeCpu).median} ms)`,
          },
          {
            metric: 'bare candidate union: wall median (PG CPU median), candidates',
            value: `${bare.median} ms (${bareCpu.length ? summarize(bareCpu).median : '?'} ms), ${bareCount}`,
          },
          {
            metric: 'tick / bare union (wall median)',
            value: ratio(tick.median, bare.median),
          },
          {
            metric: 'steady tick, per tick, top statements (client round trips)',
            value: topStatements(statements, 5, PROFILED),
          },
          {
            metric: 'candidate query: rows, shared buffers touched, execution time',
            value: `${candidates}, ${buffers}, ${Math.round((plan?.['Execution Time'] ?? 0) * 100) / 100} ms`,
          },
        ],
        details: {
          shares,
          first: { ms: firstMs, candidates: first.candidates, created: first.created.length },
          tick,
          nodeCpu: summarize(nodeCpu),
          bare,
          bareCpu: bareCpu.length ? summarize(bareCpu) : null,
          bareCandidates: bareCount,
          candidates,
          tickStatements: statements,
          candidateQueryBuffers: buffers,
          candidateQueryExecutionMs: plan?.['Execution Time'],
        },
      };
    } finally {
      await pool.end();
      await admin.end();
    }
  },
};
