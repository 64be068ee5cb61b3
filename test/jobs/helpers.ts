import { sql } from 'slonik';
import { vi } from 'vitest';
import { z } from 'zod';

import { Listener } from '../../src/db/listener.js';
import type { Db } from '../../src/db/sql-files.js';
import { withTransaction } from '../../src/db/tx.js';
import { Acquirer } from '../../src/jobs/acquirer.js';
import { ProvisionerDaemon } from '../../src/jobs/daemon.js';
import {
  type EnqueueBuildRequest,
  type EnqueuedBuild,
  enqueueWorkspaceBuild,
} from '../../src/jobs/enqueue.js';
import type { JobMetrics } from '../../src/jobs/metrics.js';
import type { ProvisionerType, Tags } from '../../src/jobs/model.js';
import { silentLogger } from '../../src/log/logger.js';
import { EchoProvisioner } from '../../src/provisioners/echo.js';
import type { Provisioner } from '../../src/provisioners/types.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import {
  createTemplate,
  createTemplateVersion,
  createUser,
  createWorkspace,
  type TemplateInput,
} from '../helpers/fixtures.js';

export interface Target {
  templateId: string;
  versionId: string;
  workspaceId: string;
  ownerId: string;
}

export interface TargetInput {
  provisioner?: ProvisionerType;
  tags?: Record<string, string>;
  config?: Record<string, unknown>;
  ownerId?: string;
  ttlMs?: number;
  autostartSchedule?: string;
  template?: TemplateInput;
}

/** A template with an active version and one workspace of it, owned by a new user by default. */
export async function createTarget(db: Db, input: TargetInput = {}): Promise<Target> {
  const templateId = await createTemplate(db, {
    provisioner: input.provisioner ?? 'echo',
    ...input.template,
  });
  const versionId = await createTemplateVersion(db, {
    templateId,
    provisioner: input.provisioner ?? 'echo',
    tags: input.tags ?? {},
    config: input.config ?? {},
  });
  const ownerId = input.ownerId ?? (await createUser(db));
  const workspaceId = await createWorkspace(db, {
    ownerId,
    templateId,
    ...(input.ttlMs !== undefined ? { ttlMs: input.ttlMs } : {}),
    ...(input.autostartSchedule ? { autostartSchedule: input.autostartSchedule } : {}),
  });
  return { templateId, versionId, workspaceId, ownerId };
}

/** Enqueues a build in its own transaction (committed: the NOTIFY goes out). */
export async function enqueue(
  db: Db,
  target: Pick<Target, 'workspaceId' | 'ownerId'>,
  over: Partial<EnqueueBuildRequest> = {},
): Promise<EnqueuedBuild> {
  return withTransaction(db, {}, (tx) =>
    enqueueWorkspaceBuild(tx, {
      workspaceId: target.workspaceId,
      transition: 'start',
      reason: 'initiator',
      initiatorId: target.ownerId,
      now: new Date(),
      ...over,
    }),
  );
}

const Status = z.object({
  job_status: z.string(),
  error: z.string().nullable(),
  error_code: z.string().nullable(),
});

export async function jobState(db: Db, jobId: string) {
  return db.one(
    sql.type(
      Status,
    )`SELECT job_status, error, error_code FROM provisioner_jobs WHERE id = ${jobId}`,
  );
}

/** Waits until the job reaches one of the statuses; returns its final state. */
export async function waitForJob(
  db: Db,
  jobId: string,
  statuses: readonly string[] = ['succeeded', 'failed', 'canceled'],
  timeoutMs = 15_000,
) {
  return vi.waitFor(
    async () => {
      const state = await jobState(db, jobId);
      if (!statuses.includes(state.job_status)) {
        throw new Error(`job ${jobId} is ${state.job_status}, waiting for ${statuses.join('|')}`);
      }
      return state;
    },
    { timeout: timeoutMs, interval: 25 },
  );
}

export interface TestDaemonOptions {
  db: Db;
  url?: string;
  /** Share an acquirer between daemons (as one process does). */
  acquirer?: Acquirer;
  pollIntervalMs?: number;
  provisioners?: ProvisionerType[];
  provisionerFor?: (type: string) => Provisioner | undefined;
  tags?: Tags;
  concurrency?: number;
  heartbeatIntervalMs?: number;
  name?: string;
  clock?: Clock;
  metrics?: JobMetrics;
  echo?: Partial<ConstructorParameters<typeof EchoProvisioner>[0]>;
  /** Without a listener only the backup poll wakes the daemon. */
  listen?: boolean;
}

export interface TestDaemon {
  daemon: ProvisionerDaemon;
  acquirer: Acquirer;
  listener: Listener | undefined;
  stop(deadline?: Date): Promise<void>;
}

let daemonCount = 0;

export async function startTestDaemon(options: TestDaemonOptions): Promise<TestDaemon> {
  const logger = silentLogger();
  const clock = options.clock ?? systemClock;
  let listener: Listener | undefined;
  if (!options.acquirer && options.listen !== false) {
    if (!options.url) throw new Error('startTestDaemon: url needed to listen');
    listener = new Listener(options.url, logger);
    await listener.start();
  }
  const acquirer =
    options.acquirer ??
    new Acquirer({
      db: options.db,
      ...(listener ? { listener } : {}),
      logger,
      clock,
      pollIntervalMs: options.pollIntervalMs ?? 60_000,
    });
  const echo = new EchoProvisioner({
    durationMs: 0,
    failureRate: 0,
    seed: 'test',
    agentReadyDelayMs: 0,
    ...options.echo,
  });
  daemonCount += 1;
  const daemon = new ProvisionerDaemon({
    db: options.db,
    acquirer,
    clock,
    logger,
    name: options.name ?? `test-daemon-${process.pid}-${daemonCount}`,
    provisioners: options.provisioners ?? ['echo'],
    provisionerFor: options.provisionerFor ?? ((type) => (type === 'echo' ? echo : undefined)),
    tags: options.tags ?? {},
    concurrency: options.concurrency ?? 1,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 50,
    stopGraceMs: 2_000,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  await daemon.start();
  let stopped = false;
  return {
    daemon,
    acquirer,
    listener,
    stop: async (deadline = new Date(Date.now() + 5_000)) => {
      if (stopped) return;
      stopped = true;
      await daemon.stop(deadline);
      if (!options.acquirer) acquirer.close();
      await listener?.stop();
    },
  };
}
