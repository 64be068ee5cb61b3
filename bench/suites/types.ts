import type { SeedShape } from '../seed/shape.js';

export interface BenchContext {
  /** A seeded database of `shape`. */
  readonly url: string;
  readonly shape: SeedShape;
  /** Measured repetitions per timing (after a short warm-up). */
  readonly runs: number;
  /** How long the rss suite keeps the controller under load (default 10 minutes). */
  readonly rssDurationMs?: number;
}

/** One line of the printed table. */
export interface BenchRow {
  readonly metric: string;
  readonly value: number | string;
  readonly unit?: string;
}

export interface SuiteResult {
  readonly rows: readonly BenchRow[];
  /** Everything else, for the JSON output. */
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * A benchmark run against each seeded size. Suites run in registry order on the same database;
 * one that changes data (claims) must come after those that only read. To add one (job
 * acquisition and NOTIFY latency, the lifecycle scheduler tick), write a file exporting a
 * BenchSuite and list it in suites/index.ts.
 */
export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  readonly database?: true;
  /** Runs only on the largest size of a bench run (the rss suite: minutes per run). */
  readonly largestSizeOnly?: boolean;
  run(ctx: BenchContext): Promise<SuiteResult>;
}

/**
 * A suite that needs no database (pure code such as the autoscaling simulator): it runs once per
 * bench run, before any database is seeded, and is reported as its own block.
 */
export interface PureBenchSuite {
  readonly name: string;
  readonly description: string;
  readonly database: false;
  run(ctx: { readonly runs: number }): Promise<SuiteResult>;
}

export type AnyBenchSuite = BenchSuite | PureBenchSuite;
