import { SchemaValidationError } from 'slonik';
import { z } from 'zod';

import { pgErrorCode } from '../db/errors.js';
import { UnsafeIntegerError } from '../db/pool.js';
import { type Db, defineQuery } from '../db/sql-files.js';
import type { Logger } from '../log/logger.js';
import type { Provisioner, ProvisionResult } from '../provisioners/types.js';
import type { Clock } from '../util/clock.js';
import { failUnrecordableJob, type FinishedJob, finishJob, type JobOutcome } from './complete.js';
import { observeCreation } from './creation-metrics.js';
import { observeTimeToReady } from './prebuild-ready.js';
import { JobLogWriter } from './log-writer.js';
import type { JobMetrics } from './metrics.js';
import { BuildJobInput, JOB_ERROR_CODES, type JobRow } from './model.js';
import { AbortError, sleep } from './sleep.js';

const Heartbeat = z.object({ canceled_at: z.date().nullable() });
const heartbeatQuery = defineQuery<
  { job_id: string; worker_id: string; now: Date },
  typeof Heartbeat
>('HeartbeatProvisionerJob', Heartbeat);

export interface RunnerContext {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  /** provisioner_daemons.id of the daemon (the job's worker_id). */
  readonly workerId: string;
  readonly daemonName: string;
  readonly provisionerFor: (type: string) => Provisioner | undefined;
  readonly heartbeatIntervalMs: number;
  /** After an interrupt or cancel, how long the provisioner gets to return before it is abandoned. */
  readonly stopGraceMs: number;
  readonly metrics?: JobMetrics;
  /** Called after a successful start build whose agents become ready later (echo). */
  readonly agentsReadyLater?: (buildId: string, delayMs: number) => void;
  /** Quiet hours of owners who set none (deadline of start builds). */
  readonly defaultQuietHours?: string;
}

/** Why a running job's provisioner was told to stop. */
type StopKind = 'canceled' | 'interrupted' | 'lost';

/**
 * One acquired job: runs its provisioner while heartbeating (which is also how cancellation is
 * noticed), streams its logs, and finishes it in one transaction with its side effects.
 * Never throws: every problem becomes the job's error.
 */
export class JobRun {
  readonly job: JobRow;
  readonly done: Promise<FinishedJob | null>;
  readonly #ctx: RunnerContext;
  readonly #abort = new AbortController();
  #stopKind: StopKind | undefined;
  #readyAfterMs: number | undefined;

  constructor(ctx: RunnerContext, job: JobRow) {
    this.#ctx = ctx;
    this.job = job;
    this.done = this.#run().catch((error: unknown) => {
      ctx.logger.error({ err: error, jobId: job.id }, 'job run failed unexpectedly');
      return null;
    });
  }

  /** Daemon shutdown: stop the provisioner now and fail the job as interrupted. */
  interrupt(): void {
    this.#stop('interrupted');
  }

  #stop(kind: StopKind): void {
    if (this.#stopKind) return;
    this.#stopKind = kind;
    this.#abort.abort(new AbortError(kind));
  }

  async #run(): Promise<FinishedJob | null> {
    const { job } = this;
    const ctx = this.#ctx;
    const log = ctx.logger.child({ jobId: job.id, provisioner: job.provisioner });
    const labels = { provisioner: job.provisioner, type: job.type };
    ctx.metrics?.acquired.inc(labels);
    if (job.started_at) {
      ctx.metrics?.waitSeconds.observe(
        labels,
        Math.max(0, job.started_at.getTime() - job.created_at.getTime()) / 1000,
      );
    }
    const logs = new JobLogWriter({ db: ctx.db, jobId: job.id, clock: ctx.clock, logger: log });
    logs.write({
      level: 'info',
      stage: 'daemon',
      output: `acquired by provisioner daemon ${ctx.daemonName} (${job.provisioner})`,
    });
    const heartbeat = setInterval(() => void this.#heartbeat(log), ctx.heartbeatIntervalMs);
    heartbeat.unref();
    try {
      const outcome = await this.#provision(logs);
      if (outcome === 'lost') {
        log.warn('job was finished by someone else (reaped?) while it ran; leaving it as it is');
        logs.write({ level: 'warn', stage: 'daemon', output: 'job taken away from this daemon' });
        return null;
      }
      logs.write({
        level: outcome.kind === 'failed' ? 'error' : 'info',
        stage: 'daemon',
        output:
          outcome.kind === 'failed'
            ? `job failed (${outcome.errorCode}): ${outcome.error}`
            : `job ${outcome.kind}`,
      });
      await logs.close();
      const { finished, recorded } = await this.#finish(outcome, log);
      if (finished) this.#record(finished, recorded);
      return finished;
    } finally {
      clearInterval(heartbeat);
      await logs.close();
    }
  }

  async #provision(logs: JobLogWriter): Promise<JobOutcome | 'lost'> {
    const { job } = this;
    const ctx = this.#ctx;
    const input = BuildJobInput.safeParse(job.input);
    if (!input.success) {
      const problems = input.error.issues
        .map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`)
        .join('; ');
      return fail(JOB_ERROR_CODES.invalidInput, `job input is not a workspace build: ${problems}`);
    }
    const provisioner = ctx.provisionerFor(job.provisioner);
    if (!provisioner) {
      return fail(
        JOB_ERROR_CODES.unknownProvisioner,
        `unknown provisioner "${job.provisioner}": daemon ${ctx.daemonName} has no such provisioner`,
      );
    }
    let result: ProvisionResult;
    try {
      result = await this.#withStopGrace(
        provisioner.provision({
          jobId: job.id,
          input: input.data,
          signal: this.#abort.signal,
          log: (line) => logs.write(line),
        }),
      );
    } catch (error) {
      result = {
        ok: false,
        errorCode: JOB_ERROR_CODES.internal,
        error: `provisioner ${job.provisioner} crashed: ${(error as Error).message}`,
      };
    }
    switch (this.#stopKind) {
      case 'lost':
        return 'lost';
      case 'canceled':
        return { kind: 'canceled' };
      case 'interrupted':
        return fail(
          JOB_ERROR_CODES.interrupted,
          `interrupted: provisioner daemon ${ctx.daemonName} shut down before the job finished`,
        );
      case undefined:
        break;
    }
    if (!result.ok) return fail(result.errorCode, result.error);
    this.#readyAfterMs = result.agentsReadyAfterMs;
    return { kind: 'succeeded', agents: result.agents };
  }

  /** The provisioner's result; once stopped, it gets `stopGraceMs` to return before it is abandoned. */
  #withStopGrace(work: Promise<ProvisionResult>): Promise<ProvisionResult> {
    const abandoned: ProvisionResult = {
      ok: false,
      errorCode: JOB_ERROR_CODES.internal,
      error: 'provisioner did not stop in time',
    };
    work.catch(() => undefined);
    return new Promise((resolve, reject) => {
      work.then(resolve, reject);
      const onStop = () => {
        setTimeout(() => resolve(abandoned), this.#ctx.stopGraceMs).unref();
      };
      if (this.#abort.signal.aborted) onStop();
      else this.#abort.signal.addEventListener('abort', onStop, { once: true });
    });
  }

  async #heartbeat(log: Logger): Promise<void> {
    try {
      const row = await heartbeatQuery.maybeOne(this.#ctx.db, {
        job_id: this.job.id,
        worker_id: this.#ctx.workerId,
        now: this.#ctx.clock.now(),
      });
      if (!row) this.#stop('lost');
      else if (row.canceled_at) this.#stop('canceled');
    } catch (error) {
      log.warn({ err: error }, 'job heartbeat failed');
    }
  }

  /**
   * Completion is retried on database errors; if it never lands, the reaper fails the job. An
   * error that retrying cannot fix (a row of the build that cannot be read, a deadline out of
   * range) ends the job as failed with `internal_error` and the reason, without its effects, at
   * once: it must not stay `running`. Returns the outcome that was recorded.
   */
  async #finish(
    outcome: JobOutcome,
    log: Logger,
  ): Promise<{ finished: FinishedJob | null; recorded: JobOutcome }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const finished = await finishJob(this.#ctx.db, {
          jobId: this.job.id,
          workerId: this.#ctx.workerId,
          outcome,
          now: this.#ctx.clock.now(),
          ...(this.#ctx.defaultQuietHours
            ? { defaultQuietHours: this.#ctx.defaultQuietHours }
            : {}),
        });
        if (!finished) log.warn('job was already finished elsewhere (reaped?); result dropped');
        return { finished, recorded: outcome };
      } catch (error) {
        if (isPermanentError(error)) return this.#failUnrecordable(error, log, outcome);
        if (attempt >= 5) {
          log.error({ err: error }, 'could not record the job result; the reaper will fail it');
          return { finished: null, recorded: outcome };
        }
        log.warn({ err: error, attempt }, 'could not record the job result; retrying');
        await sleep(500 * 2 ** (attempt - 1));
      }
    }
  }

  async #failUnrecordable(
    cause: unknown,
    log: Logger,
    outcome: JobOutcome,
  ): Promise<{ finished: FinishedJob | null; recorded: JobOutcome }> {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const recorded = fail(
      JOB_ERROR_CODES.internal,
      `the ${outcome.kind} result could not be recorded: ${reason}`,
    );
    log.error({ err: cause }, 'the job result cannot be recorded; failing the job');
    try {
      const finished = await failUnrecordableJob(this.#ctx.db, {
        jobId: this.job.id,
        workerId: this.#ctx.workerId,
        error: recorded.kind === 'failed' ? recorded.error : reason,
        now: this.#ctx.clock.now(),
      });
      return { finished, recorded };
    } catch (error) {
      log.error({ err: error }, 'could not fail the job either; the reaper will fail it');
      return { finished: null, recorded };
    }
  }

  #record(finished: FinishedJob, outcome: JobOutcome): void {
    const ctx = this.#ctx;
    const labels = { provisioner: finished.provisioner, type: finished.type };
    if (finished.status === 'succeeded') ctx.metrics?.completed.inc(labels);
    else if (finished.status === 'canceled') ctx.metrics?.canceled.inc(labels);
    else {
      const code = outcome.kind === 'failed' ? outcome.errorCode : 'unknown';
      ctx.metrics?.failed.inc({ ...labels, error_code: code });
    }
    observeTimeToReady(ctx.metrics, finished.prebuildReady);
    observeCreation(ctx.metrics, finished, ctx.clock.now());
    if (finished.startedAt) {
      ctx.metrics?.runSeconds.observe(
        { ...labels, status: finished.status },
        Math.max(0, ctx.clock.now().getTime() - finished.startedAt.getTime()) / 1000,
      );
    }
    if (
      finished.status === 'succeeded' &&
      finished.build?.transition === 'start' &&
      this.#readyAfterMs !== undefined &&
      this.#readyAfterMs > 0
    ) {
      ctx.agentsReadyLater?.(finished.build.build_id, this.#readyAfterMs);
    }
  }
}

/**
 * An error that happens again on every retry: a stored value that cannot be read or that breaks a
 * computation (out of range), rather than a lost connection, a timeout or a conflict.
 */
function isPermanentError(error: unknown): boolean {
  if (error instanceof UnsafeIntegerError || error instanceof SchemaValidationError) return true;
  if (error instanceof RangeError) return true;
  const code = pgErrorCode(error);
  return code !== undefined && code.startsWith('22');
}

function fail(errorCode: string, error: string): JobOutcome {
  return { kind: 'failed', errorCode, error };
}
