import { z } from 'zod';

import { CHANNELS } from '../db/channels.js';
import { type Db, defineQuery } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import type { AgentDeclaration } from '../provisioners/types.js';
import { JOB_ERROR_CODES, SYSTEM_USER_ID } from './model.js';
import { type JobCompletedPayload, notify } from './notify.js';
import { type PrebuildReady, prebuildBecameReady } from './prebuild-ready.js';
import {
  AutostopError,
  type AutostopTimes,
  calculateAutostop,
  DEFAULT_QUIET_HOURS,
  nextStartAtFor,
} from '../domain/lifecycle/index.js';
import { notifyAutomaticBuildOutcomes } from '../lifecycle/outcomes.js';

/** How a daemon ends a job it ran. */
export type JobOutcome =
  | { readonly kind: 'succeeded'; readonly agents: readonly AgentDeclaration[] }
  | { readonly kind: 'failed'; readonly error: string; readonly errorCode: string }
  /** Stopped because it was canceled: it ends "canceled" (no error). */
  | { readonly kind: 'canceled' };

const Finished = z.object({
  id: z.string(),
  provisioner: z.string(),
  type: z.string(),
  created_at: z.date(),
  started_at: z.date().nullable(),
  canceled_at: z.date().nullable(),
  completed_at: z.date().nullable(),
  job_status: z.string(),
});
const finishQuery = defineQuery<
  { job_id: string; worker_id: string; now: Date; error: string | null; error_code: string | null },
  typeof Finished
>('FinishProvisionerJob', Finished);

const BuildContext = z.object({
  build_id: z.string(),
  workspace_id: z.string(),
  transition: z.enum(['start', 'stop', 'delete']),
  build_number: z.number(),
  build_created_at: z.date(),
  preset_id: z.string().nullable(),
  owner_id: z.string(),
  ttl: z.number().nullable(),
  autostart_schedule: z.string().nullable(),
  workspace_deleted: z.boolean(),
  template_id: z.string(),
  default_ttl: z.number(),
  allow_user_autostop: z.boolean(),
  autostop_requirement_days_of_week: z.number(),
  autostop_requirement_weeks: z.number(),
  autostart_block_days_of_week: z.number(),
  quiet_hours_schedule: z.string(),
  template_name: z.string(),
  organization_name: z.string(),
  preset_name: z.string(),
});
export type BuildContext = z.infer<typeof BuildContext>;
const getBuildContext = defineQuery<{ job_id: string }, typeof BuildContext>(
  'CompleteGetBuildContext',
  BuildContext,
);

const setBuildDeadline = defineQuery<{
  build_id: string;
  deadline: Date | null;
  max_deadline: Date | null;
  now: Date;
}>('CompleteSetBuildDeadline', z.object({}));

const upsertAgents = defineQuery<{
  workspace_id: string;
  build_id: string;
  names: string[];
  states: string[];
  now: Date;
}>('CompleteUpsertAgents', z.object({}));

const setNextStartAt = defineQuery<{ workspace_id: string; next_start_at: Date | null; now: Date }>(
  'CompleteSetNextStartAt',
  z.object({}),
);

const MarkedDeleted = z.object({ id: z.string(), agents_deleted: z.number() });
const markDeleted = defineQuery<{ workspace_id: string; now: Date }, typeof MarkedDeleted>(
  'CompleteMarkWorkspaceDeleted',
  MarkedDeleted,
);

export interface FinishedJob {
  readonly jobId: string;
  readonly provisioner: string;
  readonly type: string;
  /** succeeded, failed or canceled. */
  readonly status: string;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly build: BuildContext | null;
  /** The prebuild this completion made eligible for claims (for the time-to-ready histogram). */
  readonly prebuildReady: PrebuildReady | null;
}

/**
 * Ends a job a daemon ran, in ONE transaction with its side effects and the job-completed NOTIFY.
 * Returns null when the job was no longer this worker's to finish (the reaper failed it, or it is
 * already complete): nothing is changed then.
 */
export async function finishJob(
  db: Db,
  args: {
    jobId: string;
    workerId: string;
    outcome: JobOutcome;
    now: Date;
    /** Quiet hours of owners who set none; default `CRON_TZ=UTC 0 0 * * *`. */
    defaultQuietHours?: string;
  },
): Promise<FinishedJob | null> {
  const { jobId, workerId, outcome, now } = args;
  return withTransaction(db, {}, async (tx) => {
    const row = await finishQuery.maybeOne(tx, {
      job_id: jobId,
      worker_id: workerId,
      now,
      error: outcome.kind === 'failed' ? outcome.error || 'failed' : null,
      error_code: outcome.kind === 'failed' ? outcome.errorCode : null,
    });
    if (!row) return null;
    const build = await getBuildContext.maybeOne(tx, { job_id: jobId });
    let prebuildReady: PrebuildReady | null = null;
    // A job canceled while it ran ends "canceled" even if the provisioner finished: no effects.
    if (build && row.job_status === 'succeeded' && outcome.kind === 'succeeded') {
      prebuildReady = await applySuccessfulBuild(
        tx,
        build,
        outcome.agents,
        now,
        args.defaultQuietHours,
      );
    }
    // The owner hears about a failed automatic build or an auto-delete iff this commits.
    if (build) await notifyAutomaticBuildOutcomes(tx, [jobId], now);
    await notifyJobsCompleted(tx, [
      {
        job_id: jobId,
        workspace_id: build?.workspace_id ?? null,
        preset_id: build?.preset_id ?? null,
        status: row.job_status,
        transition: build?.transition ?? null,
      },
    ]);
    return {
      jobId,
      provisioner: row.provisioner,
      type: row.type,
      status: row.job_status,
      createdAt: row.created_at,
      startedAt: row.started_at,
      build,
      prebuildReady,
    };
  });
}

/**
 * Ends a job whose result cannot be recorded (a row it needs cannot be read, a deadline cannot be
 * computed): failed with `internal_error` and `error`, with none of the build's effects, so it
 * never stays `running`. The job-completed NOTIFY goes out without the workspace (its rows are
 * what could not be read); the reconciler's poll covers it. Null when it was no longer ours.
 */
export async function failUnrecordableJob(
  db: Db,
  args: { jobId: string; workerId: string; error: string; now: Date },
): Promise<FinishedJob | null> {
  return withTransaction(db, {}, async (tx) => {
    const row = await finishQuery.maybeOne(tx, {
      job_id: args.jobId,
      worker_id: args.workerId,
      now: args.now,
      error: args.error,
      error_code: JOB_ERROR_CODES.internal,
    });
    if (!row) return null;
    await notifyJobsCompleted(tx, [
      { job_id: args.jobId, workspace_id: null, status: row.job_status },
    ]);
    return {
      jobId: args.jobId,
      provisioner: row.provisioner,
      type: row.type,
      status: row.job_status,
      createdAt: row.created_at,
      startedAt: row.started_at,
      build: null,
      prebuildReady: null,
    };
  });
}

export function notifyJobsCompleted(
  db: Db,
  payloads: readonly JobCompletedPayload[],
): Promise<void> {
  return notify(db, CHANNELS.jobCompleted, payloads);
}

/**
 * The side effects of a successful build, by transition. Returns the prebuild the build made
 * eligible for claims (a creation build whose agents are all ready at once), else null.
 */
export async function applySuccessfulBuild(
  tx: Db,
  build: BuildContext,
  agents: readonly AgentDeclaration[],
  now: Date,
  defaultQuietHours: string = DEFAULT_QUIET_HOURS,
): Promise<PrebuildReady | null> {
  if (build.workspace_deleted) return null;
  switch (build.transition) {
    case 'start': {
      await setStartBuildDeadline(tx, build, now, defaultQuietHours);
      const ready = await recordBuildAgents(tx, build, agents, now);
      await refreshNextStartAt(tx, build, now);
      return ready;
    }
    case 'stop':
      await refreshNextStartAt(tx, build, now);
      return null;
    case 'delete':
      await markWorkspaceDeleted(tx, build, now);
      return null;
  }
}

/**
 * deadline and max_deadline of a start build (the lifecycle's calculateAutostop). Prebuilt
 * workspaces get neither: the reconciler, not the lifecycle, manages them until they are claimed.
 */
export async function setStartBuildDeadline(
  tx: Db,
  build: BuildContext,
  now: Date,
  defaultQuietHours: string = DEFAULT_QUIET_HOURS,
): Promise<void> {
  const { deadline, maxDeadline } =
    build.owner_id === SYSTEM_USER_ID
      ? { deadline: null, maxDeadline: null }
      : startBuildAutostop(build, now, defaultQuietHours);
  await setBuildDeadline.exec(tx, {
    build_id: build.build_id,
    deadline,
    max_deadline: maxDeadline,
    now,
  });
}

/**
 * calculateAutostop for a finished start build. A configuration it cannot use (unparsable quiet
 * hours, a requirement naming no day) must not fail the build: the requirement is then ignored
 * and the TTL alone decides, as if the template had none.
 */
export function startBuildAutostop(
  build: BuildContext,
  now: Date,
  defaultQuietHours: string = DEFAULT_QUIET_HOURS,
): AutostopTimes {
  const template = {
    allowUserAutostop: build.allow_user_autostop,
    defaultTtlMs: build.default_ttl,
    autostopRequirementDaysOfWeek: build.autostop_requirement_days_of_week,
    autostopRequirementWeeks: build.autostop_requirement_weeks,
    autostartBlockDaysOfWeek: build.autostart_block_days_of_week,
  };
  const input = {
    now,
    workspace: { ttlMs: build.ttl, autostartSchedule: build.autostart_schedule },
    template,
    quietHours: build.quiet_hours_schedule === '' ? defaultQuietHours : build.quiet_hours_schedule,
  };
  try {
    return calculateAutostop(input);
  } catch (error) {
    if (!(error instanceof AutostopError)) throw error;
    return calculateAutostop({
      ...input,
      template: { ...template, autostopRequirementDaysOfWeek: 0 },
    });
  }
}

/**
 * The agents a start build declared, with their lifecycle state. A prebuild's creation build
 * whose agents are all ready now is eligible for claims from this commit on: returned.
 */
export async function recordBuildAgents(
  tx: Db,
  build: BuildContext,
  agents: readonly AgentDeclaration[],
  now: Date,
): Promise<PrebuildReady | null> {
  if (agents.length === 0) return null;
  await upsertAgents.exec(tx, {
    workspace_id: build.workspace_id,
    build_id: build.build_id,
    names: agents.map((agent) => agent.name),
    states: agents.map((agent) => agent.lifecycle_state),
    now,
  });
  const creation = build.owner_id === SYSTEM_USER_ID && build.build_number === 1;
  const allReady = agents.every((agent) => agent.lifecycle_state === 'ready');
  return creation && allReady ? prebuildBecameReady(tx, build.build_id, now) : null;
}

/**
 * workspaces.next_start_at after a finished build (the lifecycle's nextStartAtFor: counted from a
 * stop build's creation, from now otherwise); NULL for prebuilds and without a usable schedule.
 */
export async function refreshNextStartAt(tx: Db, build: BuildContext, now: Date): Promise<void> {
  const next =
    build.owner_id === SYSTEM_USER_ID
      ? null
      : nextStartAtFor(
          build.autostart_schedule,
          { autostartBlockDaysOfWeek: build.autostart_block_days_of_week },
          { transition: build.transition, createdAt: build.build_created_at },
          now,
        );
  await setNextStartAt.exec(tx, { workspace_id: build.workspace_id, next_start_at: next, now });
}

/** A successful delete: the workspace and its agents are marked deleted. */
export async function markWorkspaceDeleted(tx: Db, build: BuildContext, now: Date): Promise<void> {
  await markDeleted.maybeOne(tx, { workspace_id: build.workspace_id, now });
}
