import { readFileSync } from 'node:fs';

/**
 * CPU time of a process from /proc/<pid>/schedstat: nanoseconds on a CPU and nanoseconds waiting
 * for one. On a shared machine wall time swings with everyone else's load; the time a PostgreSQL
 * backend (and this process) actually spent on a CPU does not, and their sum is what the wall
 * time would be on an idle machine. Null when the server is not local or the kernel lacks it.
 */
export interface CpuSample {
  readonly cpuNs: number;
  readonly waitNs: number;
}

export function schedstat(pid: number): CpuSample | null {
  try {
    const [cpu, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
    return { cpuNs: Number(cpu), waitNs: Number(wait) };
  } catch {
    return null;
  }
}

/** Milliseconds of CPU the process used between two samples (null if either is missing). */
export function cpuMs(before: CpuSample | null, after: CpuSample | null): number | null {
  return before && after ? (after.cpuNs - before.cpuNs) / 1e6 : null;
}

export function waitMs(before: CpuSample | null, after: CpuSample | null): number | null {
  return before && after ? (after.waitNs - before.waitNs) / 1e6 : null;
}

/** Milliseconds of CPU this Node.js process used since `start` (process.cpuUsage). */
export function nodeCpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/**
 * CPU used by every client backend of the database (those connected when `start` runs: open the
 * connections first) and by this process, from `start()` until `stop()`, in milliseconds;
 * `backendMs` is null when the server's /proc is not readable (not local) or a backend went away.
 */
export function cpuMeter(client: { query: (text: string) => Promise<{ rows: unknown[] }> }): {
  start(): Promise<void>;
  stop(): { backendMs: number | null; nodeMs: number };
} {
  let pids: number[] = [];
  const sum = (): number | null => {
    let total = 0;
    for (const pid of pids) {
      const s = schedstat(pid);
      if (!s) return null;
      total += s.cpuNs;
    }
    return total;
  };
  let before: number | null = null;
  let node = process.cpuUsage();
  return {
    async start() {
      const { rows } = await client.query(
        `SELECT pid FROM pg_stat_activity
         WHERE datname = current_database() AND backend_type = 'client backend'
           AND pid <> pg_backend_pid()`,
      );
      pids = (rows as { pid: number }[]).map((r) => r.pid);
      before = sum();
      node = process.cpuUsage();
    },
    stop() {
      const after = sum();
      return {
        backendMs: before !== null && after !== null ? (after - before) / 1e6 : null,
        nodeMs: nodeCpuMs(node),
      };
    },
  };
}
