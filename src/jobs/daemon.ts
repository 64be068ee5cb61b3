import { hostname } from 'node:os';

import { z } from 'zod';

import { CHANNELS } from '../db/channels.js';
import { type Db, defineQuery } from '../db/sql-files.js';
import type { Logger } from '../log/logger.js';
import type { Provisioner } from '../provisioners/types.js';
import type { Component } from '../service/component.js';
import type { Clock } from '../util/clock.js';
import type { Acquirer } from './acquirer.js';
import type { JobMetrics } from './metrics.js';
import type { ProvisionerType, Tags } from './model.js';
import { notify } from './notify.js';
import { observeTimeToReady, prebuildBecameReady } from './prebuild-ready.js';
import { JobRun } from './runner.js';
import { AbortError, sleep } from './sleep.js';
import { formatTags } from './tags.js';

const Daemon = z.object({
  id: z.string(),
  name: z.string(),
  provisioners: z.array(z.string()),
  tags: z.record(z.string()),
  last_seen_at: z.date(),
});
const upsertDaemon = defineQuery<
  {
    name: string;
    organization_id: string | null;
    provisioners: ProvisionerType[];
    tags: Tags;
    version: string;
    now: Date;
  },
  typeof Daemon
>('UpsertProvisionerDaemon', Daemon);

const ReadyAgent = z.object({ id: z.string(), workspace_id: z.string() });
const markAgentsReady = defineQuery<{ build_id: string; now: Date }, typeof ReadyAgent>(
  'MarkBuildAgentsReady',
  ReadyAgent,
);

export interface DaemonOptions {
  readonly db: Db;
  readonly acquirer: Acquirer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Unique per daemon process; a restarted daemon with the same name reuses its row. */
  readonly name?: string;
  /** Types this daemon acquires. */
  readonly provisioners: readonly ProvisionerType[];
  readonly provisionerFor: (type: string) => Provisioner | undefined;
  readonly tags: Tags;
  /** Jobs run at once. */
  readonly concurrency: number;
  readonly heartbeatIntervalMs: number;
  /** After a stop request, how long a provisioner gets to return before it is abandoned. */
  readonly stopGraceMs?: number;
  /** How often last_seen_at is refreshed. */
  readonly registrationIntervalMs?: number;
  readonly metrics?: JobMetrics;
  readonly version?: string;
  /** Quiet hours of owners who set none (PREBUILD_CONTROLLER_QUIET_HOURS_DEFAULT_SCHEDULE). */
  readonly defaultQuietHours?: string;
}

export function defaultDaemonName(): string {
  return `${hostname()}-${process.pid}`;
}

/**
 * A provisioner daemon: registers in provisioner_daemons, runs up to `concurrency` jobs at once
 * (each worker acquires through the shared Acquirer), and drains on stop: no new jobs, running
 * ones may finish until the deadline, then they are interrupted and failed as such.
 */
export class ProvisionerDaemon implements Component {
  readonly name: string;
  readonly #options: DaemonOptions;
  readonly #log: Logger;
  readonly #acquiring = new AbortController();
  readonly #running = new Set<JobRun>();
  readonly #readyTimers = new Map<NodeJS.Timeout, () => Promise<void>>();
  #workers: Promise<void>[] = [];
  #registration: NodeJS.Timeout | undefined;
  #id: string | undefined;
  #stopping = false;

  constructor(options: DaemonOptions) {
    this.#options = options;
    this.name = `provisioner-daemon:${options.name ?? defaultDaemonName()}`;
    this.#log = options.logger.child({
      component: 'provisioner-daemon',
      daemon: options.name ?? defaultDaemonName(),
    });
  }

  /** provisioner_daemons.id once started. */
  get id(): string | undefined {
    return this.#id;
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running.size;
  }

  async start(): Promise<void> {
    this.#id = (await this.#register()).id;
    this.#registration = setInterval(() => {
      this.#register().catch((error: unknown) =>
        this.#log.warn({ err: error }, 'could not refresh the daemon registration'),
      );
    }, this.#options.registrationIntervalMs ?? 30_000);
    this.#registration.unref();
    for (let i = 0; i < this.#options.concurrency; i++) this.#workers.push(this.#work());
    this.#log.info(
      {
        provisioners: this.#options.provisioners,
        tags: formatTags(this.#options.tags),
        concurrency: this.#options.concurrency,
      },
      'provisioner daemon started',
    );
  }

  async stop(deadline: Date): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#acquiring.abort(new AbortError('daemon stopping'));
    clearInterval(this.#registration);
    const all = () => Promise.all(this.#workers).then(() => true);
    const waitMs = Math.max(0, deadline.getTime() - Date.now());
    if (this.#running.size > 0) {
      this.#log.info({ running: this.#running.size, waitMs }, 'waiting for running jobs');
    }
    const drained = await Promise.race([all(), sleep(waitMs).then(() => false)]);
    if (!drained) {
      this.#log.warn(
        { running: this.#running.size },
        'shutdown deadline: interrupting running jobs',
      );
      for (const run of this.#running) run.interrupt();
      await all();
    }
    // Agents waiting for their delayed readiness become ready now rather than never.
    const pending = [...this.#readyTimers.entries()];
    this.#readyTimers.clear();
    for (const [timer, fire] of pending) {
      clearTimeout(timer);
      await fire();
    }
    this.#log.info('provisioner daemon stopped');
  }

  async #register() {
    const options = this.#options;
    return upsertDaemon.one(options.db, {
      name: options.name ?? defaultDaemonName(),
      organization_id: null,
      provisioners: [...options.provisioners],
      tags: options.tags,
      version: options.version ?? '',
      now: options.clock.now(),
    });
  }

  async #work(): Promise<void> {
    const options = this.#options;
    const signal = this.#acquiring.signal;
    while (!this.#stopping) {
      let job;
      try {
        job = await options.acquirer.acquire({
          workerId: this.#id as string,
          provisioners: options.provisioners,
          tags: options.tags,
          signal,
        });
      } catch (error) {
        if (this.#stopping) return;
        this.#log.error({ err: error }, 'acquiring a job failed');
        await sleep(1_000, signal).catch(() => undefined);
        continue;
      }
      // A job acquired while stopping is run anyway: it is ours now, and drains like the rest.
      const run = new JobRun(
        {
          db: options.db,
          clock: options.clock,
          logger: this.#log,
          workerId: this.#id as string,
          daemonName: options.name ?? defaultDaemonName(),
          provisionerFor: options.provisionerFor,
          heartbeatIntervalMs: options.heartbeatIntervalMs,
          stopGraceMs: options.stopGraceMs ?? 10_000,
          ...(options.metrics ? { metrics: options.metrics } : {}),
          ...(options.defaultQuietHours ? { defaultQuietHours: options.defaultQuietHours } : {}),
          agentsReadyLater: (buildId, delayMs) => this.#agentsReadyLater(buildId, delayMs),
        },
        job,
      );
      this.#running.add(run);
      try {
        await run.done;
      } finally {
        this.#running.delete(run);
      }
    }
  }

  #agentsReadyLater(buildId: string, delayMs: number): void {
    const fire = async () => {
      try {
        const now = this.#options.clock.now();
        const agents = await markAgentsReady.any(this.#options.db, { build_id: buildId, now });
        const workspaceId = agents[0]?.workspace_id;
        if (workspaceId) {
          observeTimeToReady(
            this.#options.metrics,
            await prebuildBecameReady(this.#options.db, buildId, now),
          );
          await notify(this.#options.db, CHANNELS.reconcile, [
            { reason: 'agents_ready', workspace_id: workspaceId },
          ]);
        }
      } catch (error) {
        this.#log.warn({ err: error, buildId }, 'could not mark agents ready');
      }
    };
    const timer = setTimeout(() => {
      this.#readyTimers.delete(timer);
      void fire();
    }, delayMs);
    timer.unref();
    this.#readyTimers.set(timer, fire);
  }
}
