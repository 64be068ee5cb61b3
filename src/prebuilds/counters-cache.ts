import { CHANNELS } from '../db/channels.js';
import type { Listener } from '../db/listener.js';
import type { Db } from '../db/sql-files.js';
import type { Logger } from '../log/logger.js';
import type { Component } from '../service/component.js';
import { loadPrebuildCounters, type PrebuildCounters } from './counters.js';

/**
 * The lifetime created/failed/claimed counters. Their query scans every prebuild creation build
 * ever made (110-170 ms at 100k workspaces, BENCHMARKS.md), so it runs on its own interval, not
 * per pass nor per scrape: a component refreshes it every `intervalMs`, and a scrape refreshes it
 * itself only when the value is older than twice that (the component is not running, or its
 * refreshes fail). Ages are measured on the process's monotonic clock. A claim (its NOTIFY on the
 * reconcile channel, from this or any process, the CLI included) makes the values stale, so the
 * next scrape shows it within seconds instead of after the next refresh.
 */
export class CountersCache implements Component {
  readonly name = 'prebuild-metrics-counters';
  #rows: readonly PrebuildCounters[] | undefined;
  #loadedAt = -Infinity;
  #loading: Promise<readonly PrebuildCounters[]> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: {
      readonly db: Db;
      readonly logger: Logger;
      readonly intervalMs: number;
      readonly listener?: Listener;
    },
  ) {}

  /** The next get() loads the counters again. */
  markStale(): void {
    this.#loadedAt = -Infinity;
  }

  async get(): Promise<readonly PrebuildCounters[]> {
    if (this.#rows && performance.now() - this.#loadedAt <= 2 * this.deps.intervalMs) {
      return this.#rows;
    }
    return this.refresh();
  }

  refresh(): Promise<readonly PrebuildCounters[]> {
    this.#loading ??= loadPrebuildCounters(this.deps.db)
      .then((rows) => {
        this.#rows = rows;
        this.#loadedAt = performance.now();
        return rows;
      })
      .finally(() => {
        this.#loading = undefined;
      });
    return this.#loading;
  }

  async start(): Promise<void> {
    const tick = () => {
      this.refresh().catch((error: unknown) => {
        this.deps.logger.warn(
          { err: error, component: 'prebuild-metrics' },
          'could not refresh the prebuild counters; /metrics keeps the last values',
        );
      });
    };
    tick();
    this.#unsubscribe = this.deps.listener?.on(CHANNELS.reconcile, (payload) => {
      if (payload.includes('"prebuild_claimed"')) this.markStale();
    });
    this.#timer = setInterval(tick, this.deps.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    await this.#loading?.catch(() => undefined);
  }
}
