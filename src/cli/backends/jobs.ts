import type { DatabasePool } from 'slonik';

import { loadConfig } from '../../config/load.js';
import { resolveDatabase } from '../../db/connect.js';
import { createDbPool } from '../../db/pool.js';
import { AppError } from '../../http/errors.js';
import {
  cancelJob,
  type CancelResult,
  getJob,
  type JobLogLine,
  type JobView,
  listJobLogs,
} from '../../jobs/service.js';
import { createLogger } from '../../log/logger.js';
import { systemClock } from '../../util/clock.js';
import { cliPrincipal } from '../principal.js';
import { ApiClient, segment } from './http.js';
import { apiTarget } from './target.js';

/** `jobs show|logs|cancel`, on the database or over the API. */
export interface JobsClient {
  get(id: string): Promise<JobView | null>;
  logs(id: string, after: number, limit: number): Promise<readonly JobLogLine[]>;
  cancel(id: string): Promise<CancelResult>;
}

function databaseJobs(pool: DatabasePool): JobsClient {
  return {
    get: (id) => getJob(pool, id),
    logs: (id, after, limit) => listJobLogs(pool, id, { after, limit }),
    cancel: (id) => cancelJob(pool, id, systemClock.now(), cliPrincipal()),
  };
}

const notFound = (error: unknown) => error instanceof AppError && error.status === 404;

function apiJobs(api: ApiClient): JobsClient {
  const get = async (id: string) => {
    try {
      return await api.get<JobView>(`/jobs/${segment(id)}`);
    } catch (error) {
      if (notFound(error)) return null;
      throw error;
    }
  };
  return {
    get,
    logs: async (id, after, limit) =>
      (await api.get<{ logs: JobLogLine[] }>(`/jobs/${segment(id)}/logs`, { after, limit })).logs,
    cancel: async (id) => {
      try {
        const job = await api.send<JobView>('POST', `/jobs/${segment(id)}/cancel`);
        return { outcome: job.status === 'canceled' ? 'canceled' : 'canceling', job };
      } catch (error) {
        if (notFound(error)) return { outcome: 'not_found' };
        const job = error instanceof AppError && error.status === 409 ? await get(id) : null;
        if (job) return { outcome: 'finished', job };
        throw error;
      }
    },
  };
}

/**
 * Runs `fn` with the jobs client of a command: over HTTP with a URL, else on one database pool
 * for the whole command (`logs --follow` polls through it).
 */
export async function withJobsClient<T>(
  flags: Record<string, unknown>,
  fn: (client: JobsClient) => Promise<T>,
): Promise<T> {
  const target = apiTarget(flags);
  if (target) return fn(apiJobs(new ApiClient(target, { dates: true })));
  const config = loadConfig(flags);
  const logger = createLogger({ level: config.logLevel, fd: 2 });
  const database = await resolveDatabase(config, logger);
  try {
    const pool = await createDbPool(database.url, {
      logger,
      applicationName: 'prebuild-controller cli',
      maximumPoolSize: 2,
      connectTimeoutMs: config.databaseConnectTimeout,
    });
    try {
      return await fn(databaseJobs(pool));
    } finally {
      await pool.end();
    }
  } finally {
    await database.stop();
  }
}
