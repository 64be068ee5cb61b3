import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

import pg from 'pg';

import { createClaimPools } from '../claim-pools.js';
import type { BenchSuite } from './types.js';

const TOKEN = 'bench-rss-token';
const MB = 1024 * 1024;

function rssBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** User + system CPU seconds the process has used (/proc/PID/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const median = (xs: readonly number[]) =>
  xs.length === 0 ? NaN : ([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of (minute, MB) points. */
function slopePerMinute(points: readonly { atMs: number; bytes: number }[]): number {
  if (points.length < 2) return 0;
  const xs = points.map((p) => p.atMs / 60_000);
  const ys = points.map((p) => p.bytes / MB);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the controller exited (${child.exitCode})`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('the controller did not become ready in 60 s');
}

/**
 * The controller's resident memory while it serves: `prebuild-controller run` (built first:
 * `npm run build`) as its own process on the seeded database with every loop running (reconciler,
 * echo daemons, lifecycle, notifications), under a steady load for `--rss-duration` (default
 * 10 minutes): claims through POST /api/v1/workspaces at about 5 per second on a pool of its own,
 * a workspace list every second, /metrics every 5 s. VmRSS is sampled every 2 s; reported: after
 * start, after the first minute, the peak, at the end, and the growth over the second half (least
 * squares, MB per minute). Changes data: runs last, and only on the largest size of the run.
 */
export const rss: BenchSuite = {
  name: 'rss',
  description: 'controller RSS while serving, and its growth over --rss-duration',
  largestSizeOnly: true,
  async run({ url, rssDurationMs }) {
    const durationMs = rssDurationMs ?? 600_000;
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const claimsPerSecond = 5;
    const pool = await createClaimPools(
      admin,
      'rss',
      1,
      Math.ceil((durationMs / 1000) * claimsPerSecond) + 100,
    );
    await admin.query('VACUUM ANALYZE workspaces, workspace_builds');
    const owners = (
      await admin.query<{ id: string }>(
        `SELECT id FROM users WHERE NOT is_system AND status = 'active' ORDER BY username LIMIT 32`,
      )
    ).rows.map((r) => r.id);
    await admin.end();

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['bin/prebuild-controller.js', 'run'], {
      env: {
        ...process.env,
        DATABASE_URL: url,
        PREBUILD_CONTROLLER_LISTEN: `127.0.0.1:${port}`,
        PREBUILD_CONTROLLER_API_TOKEN: TOKEN,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const pid = child.pid as number;
    const samples: { atMs: number; bytes: number }[] = [];
    const errors: string[] = [];
    const heapUsed: number[] = [];
    const listBytes: number[] = [];
    let claims = 0;
    try {
      await waitReady(base, child);
      const started = performance.now();
      const afterStart = rssBytes(pid);
      const cpuAtStart = cpuSeconds(pid);
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const until = started + durationMs;
      const loop = async (everyMs: number, fn: (n: number) => Promise<void>) => {
        for (let n = 0; performance.now() < until; n++) {
          const t0 = performance.now();
          try {
            await fn(n);
          } catch (error) {
            if (errors.length < 5) errors.push(String(error));
          }
          await sleep(Math.max(0, everyMs - (performance.now() - t0)));
        }
      };
      await Promise.all([
        loop(2_000, async () => {
          const bytes = rssBytes(pid);
          if (bytes !== null) samples.push({ atMs: performance.now() - started, bytes });
        }),
        loop(1000 / claimsPerSecond, async (n) => {
          const response = await fetch(`${base}/api/v1/workspaces`, {
            method: 'POST',
            headers,
            body: JSON.stringify({
              owner: owners[n % owners.length],
              template: pool.templateNames[0],
              preset: pool.presetNames[0],
              name: `rss-${n}`,
            }),
          });
          await response.arrayBuffer();
          if (response.status !== 201)
            throw new Error(`POST /api/v1/workspaces: ${response.status}`);
          claims += 1;
        }),
        loop(1_000, async (n) => {
          const owner = owners[n % owners.length] as string;
          const response = await fetch(`${base}/api/v1/workspaces?owner=${owner}`, { headers });
          listBytes.push((await response.arrayBuffer()).byteLength);
        }),
        loop(5_000, async () => {
          const text = await (await fetch(`${base}/metrics`)).text();
          // prom-client's default metrics: the V8 heap in use tells a leak from a lazy GC.
          const heap = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
          if (heap !== undefined) heapUsed.push(Number(heap));
        }),
      ]);
      const cpuAtEnd = cpuSeconds(pid);
      const cpuUsed =
        cpuAtStart === null || cpuAtEnd === null
          ? NaN
          : Math.round((cpuAtEnd - cpuAtStart) * 10) / 10;
      const mb = (bytes: number | null | undefined) =>
        bytes === null || bytes === undefined ? NaN : Math.round((bytes / MB) * 10) / 10;
      const peak = Math.max(...samples.map((s) => s.bytes));
      const firstMinute = samples.find((s) => s.atMs >= 60_000) ?? samples[samples.length - 1];
      const secondHalf = samples.filter((s) => s.atMs >= durationMs / 2);
      const growth = Math.round(slopePerMinute(secondHalf) * 100) / 100;
      return {
        rows: [
          {
            metric: `RSS after start / after 1 min / peak / end (${Math.round(durationMs / 60_000)} min of load)`,
            value: `${mb(afterStart)} / ${mb(firstMinute?.bytes)} / ${mb(peak)} / ${mb(samples[samples.length - 1]?.bytes)}`,
            unit: 'MB',
          },
          {
            metric: 'V8 heap in use (from /metrics): median / peak / end',
            value: `${mb(median(heapUsed))} / ${mb(Math.max(...heapUsed))} / ${mb(heapUsed[heapUsed.length - 1])}`,
            unit: 'MB',
          },
          {
            metric: 'RSS growth over the second half (least squares)',
            value: growth,
            unit: 'MB/min',
          },
          {
            metric:
              'workspace list answer (the owner has the workspaces earlier suites claimed): median',
            value: Math.round(median(listBytes) / 1024),
            unit: 'KB',
          },
          {
            metric: `controller CPU over the load (user + system; NODE_OPTIONS: ${process.env.NODE_OPTIONS ?? 'none'})`,
            value: cpuUsed,
            unit: 's',
          },
          {
            metric: 'load served: claims, errors',
            value: `${claims}, ${errors.length === 0 ? 'none' : errors.join('; ')}`,
          },
        ],
        details: {
          durationMs,
          afterStart,
          samples,
          heapUsed,
          growthMbPerMinute: growth,
          cpuSeconds: cpuUsed,
          claims,
          errors,
        },
      };
    } finally {
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) resolve();
        else child.once('exit', () => resolve());
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 15_000).unref();
      });
    }
  },
};
