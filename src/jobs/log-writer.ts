import { z } from 'zod';

import { type Db, defineQuery } from '../db/sql-files.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../util/clock.js';
import type { JobLogLevel } from './model.js';

const insertLogs = defineQuery<{
  job_id: string;
  created_at: string[];
  level: string[];
  stage: string[];
  output: string[];
}>('InsertProvisionerJobLogs', z.object({}));

export interface LogLineInput {
  readonly level: JobLogLevel;
  readonly stage: string;
  readonly output: string;
}

export interface JobLogWriterOptions {
  readonly db: Db;
  readonly jobId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Lines are written at least this often while a job runs. */
  readonly flushIntervalMs?: number;
  /** A batch this big is written at once. */
  readonly batchSize?: number;
  /** Lines kept while the database is unreachable; beyond it the oldest are dropped. */
  readonly maxBuffered?: number;
}

const MAX_LINE = 16 * 1024;

/**
 * Streams a job's log lines to provisioner_job_logs in batches (one INSERT per batch), so a chatty
 * command costs a few statements per second, not one per line. A failed write keeps the lines for
 * the next attempt; `close()` writes what is left.
 */
export class JobLogWriter {
  readonly #options: JobLogWriterOptions;
  #buffer: { created_at: string; level: string; stage: string; output: string }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(options: JobLogWriterOptions) {
    this.#options = options;
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 250);
    this.#timer.unref();
  }

  write(line: LogLineInput): void {
    // PostgreSQL text cannot hold NUL; very long lines are clipped rather than refused.
    let output = line.output.replaceAll('\0', '');
    if (output.length > MAX_LINE) output = `${output.slice(0, MAX_LINE)}... (clipped)`;
    this.#buffer.push({
      created_at: this.#options.clock.now().toISOString(),
      level: line.level,
      stage: line.stage.slice(0, 64),
      output,
    });
    const max = this.#options.maxBuffered ?? 10_000;
    if (this.#buffer.length > max) {
      this.#dropped += this.#buffer.length - max;
      this.#buffer.splice(0, this.#buffer.length - max);
    }
    if (this.#buffer.length >= (this.#options.batchSize ?? 200)) void this.flush();
  }

  /** Writes the buffered lines (one flush at a time, in order). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#writeBatch());
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
    if (this.#buffer.length > 0) await this.flush();
  }

  async #writeBatch(): Promise<void> {
    if (this.#dropped > 0) {
      this.#buffer.unshift({
        created_at: this.#options.clock.now().toISOString(),
        level: 'warn',
        stage: 'daemon',
        output: `${this.#dropped} log line(s) dropped while the database was unreachable`,
      });
      this.#dropped = 0;
    }
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    try {
      await insertLogs.exec(this.#options.db, {
        job_id: this.#options.jobId,
        created_at: batch.map((l) => l.created_at),
        level: batch.map((l) => l.level),
        stage: batch.map((l) => l.stage),
        output: batch.map((l) => l.output),
      });
    } catch (error) {
      this.#options.logger.warn(
        { err: error, jobId: this.#options.jobId, lines: batch.length },
        'could not write job logs; keeping them for the next attempt',
      );
      this.#buffer = batch.concat(this.#buffer);
    }
  }
}
