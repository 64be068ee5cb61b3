import pg from 'pg';

import { sqlQuery } from '../src/db/sql-files.js';
import { type Summary, summarize } from './stats.js';

export interface ConcurrentRun {
  readonly workers: number;
  /** Steps that did their work (a claim that got a row, an acquisition that got a job). */
  readonly done: number;
  readonly misses: number;
  readonly wallMs: number;
  /** Completed steps per second of wall time. */
  readonly perSecond: number;
  readonly latency: Summary;
}

/**
 * `workers` concurrent loops share a counter of `total` steps; each step is timed on its own (its
 * latency under that concurrency) and returns whether it did its work. Connections must be opened
 * before: only the steps are timed.
 */
export async function runConcurrently(
  workers: number,
  total: number,
  step: (worker: number, index: number) => Promise<boolean>,
): Promise<ConcurrentRun> {
  let next = 0;
  let done = 0;
  let misses = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (next < total) {
        const index = next++;
        const t0 = performance.now();
        const ok = await step(worker, index);
        latencies.push(performance.now() - t0);
        if (ok) done += 1;
        else misses += 1;
      }
    }),
  );
  const wallMs = performance.now() - started;
  return {
    workers,
    done,
    misses,
    wallMs: Math.round(wallMs),
    perSecond: Math.round((done / wallMs) * 1000),
    latency: summarize(latencies),
  };
}

/** `count` plain pg clients (the "minimal client" of the references), JIT off like the pool's. */
export async function openClients(url: string, count: number): Promise<pg.Client[]> {
  const clients = await Promise.all(
    Array.from({ length: count }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('SET jit = off');
      return client;
    }),
  );
  return clients;
}

export async function closeClients(clients: readonly pg.Client[]): Promise<void> {
  await Promise.all(clients.map((c) => c.end()));
}

/** A statement of sql/ with its named parameters bound from `values`, for a plain pg client. */
export function boundQuery(
  name: string,
  values: Readonly<Record<string, unknown>>,
): { text: string; values: unknown[] } {
  const query = sqlQuery(name);
  return {
    text: query.text,
    values: query.params.map((param) => {
      if (!(param in values)) throw new Error(`${name}: no value for :${param}`);
      return values[param];
    }),
  };
}

/** "0.85x" (ours over the reference; rates: higher is better). */
export function ratio(ours: number, reference: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(reference) || reference === 0) return 'n/a';
  return `${(ours / reference).toFixed(2)}x`;
}
