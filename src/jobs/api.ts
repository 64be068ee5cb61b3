import type { FastifyPluginAsync } from 'fastify';

import type { Db } from '../db/sql-files.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { errors, ref } from '../http/schema.js';
import type { Clock } from '../util/clock.js';
import { AgentJson, JobJson, JobLogs } from './api-schemas.js';
import type { JobMetrics } from './metrics.js';
import { AGENT_LIFECYCLE_STATES, type AgentLifecycleState } from './model.js';
import { observeTimeToReady } from './prebuild-ready.js';
import { cancelJob, getJob, listJobLogs, updateAgentLifecycle } from './service.js';

// Ids are not format-checked here: an id that is not a UUID is simply not found (404).
const idParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'job id' } },
  required: ['id'],
} as const;

const TAGS = ['jobs'];

/**
 * `/api/v1/jobs/:id`, `/jobs/:id/logs`, `/jobs/:id/cancel` and
 * `/workspaces/:id/agents/:name/lifecycle`.
 */
export function jobsApi(deps: { db: Db; clock: Clock; metrics?: JobMetrics }): FastifyPluginAsync {
  return async (api) => {
    api.get<{ Params: { id: string } }>(
      '/jobs/:id',
      {
        schema: {
          summary: 'A provisioner job with its build',
          tags: TAGS,
          params: idParams,
          response: { 200: ref(JobJson), ...errors(404) },
        },
        config: { role: 'read' },
      },
      async (request) => {
        const job = await getJob(deps.db, request.params.id);
        if (!job) throw notFound(`job ${request.params.id} not found`);
        return job;
      },
    );

    // Query strings arrive as text (the app does not coerce types): digits only.
    api.get<{ Params: { id: string }; Querystring: { after?: string; limit?: string } }>(
      '/jobs/:id/logs',
      {
        schema: {
          summary: "A job's log lines, oldest first",
          tags: TAGS,
          params: idParams,
          querystring: {
            type: 'object',
            properties: {
              after: {
                type: 'string',
                pattern: '^[0-9]{1,15}$',
                description: 'only lines with a larger id',
              },
              limit: {
                type: 'string',
                pattern: '^[0-9]{1,5}$',
                description: 'at most this many lines, 1 to 10000 (default 1000)',
              },
            },
            additionalProperties: false,
          },
          response: { 200: JobLogs, ...errors(400, 404) },
        },
        config: { role: 'read' },
      },
      async (request) => {
        const job = await getJob(deps.db, request.params.id);
        if (!job) throw notFound(`job ${request.params.id} not found`);
        const limit = Number(request.query.limit ?? 1000);
        if (limit < 1 || limit > 10_000) {
          throw badRequest('limit: must be from 1 to 10000', [
            { path: 'limit', message: 'must be from 1 to 10000' },
          ]);
        }
        const logs = await listJobLogs(deps.db, job.id, {
          after: Number(request.query.after ?? 0),
          limit,
        });
        return { job_id: job.id, status: job.status, logs };
      },
    );

    api.post<{ Params: { id: string } }>(
      '/jobs/:id/cancel',
      {
        schema: {
          summary: 'Cancel a job: a pending one at once, a running one via its daemon',
          tags: TAGS,
          params: idParams,
          response: { 200: ref(JobJson), ...errors(404, 409) },
        },
        config: { role: 'template-admin' },
      },
      async (request) => {
        const result = await cancelJob(
          deps.db,
          request.params.id,
          deps.clock.now(),
          request.principal.name,
        );
        switch (result.outcome) {
          case 'not_found':
            throw notFound(`job ${request.params.id} not found`);
          case 'finished':
            throw conflict(`job ${result.job.id} is already ${result.job.status}`);
          case 'canceled':
            // Canceled at once (it was pending): no daemon will count it.
            deps.metrics?.canceled.inc({
              provisioner: result.job.provisioner,
              type: result.job.type,
            });
            return result.job;
          case 'canceling':
            return result.job;
        }
      },
    );

    api.post<{ Params: { id: string; name: string }; Body: { state: AgentLifecycleState } }>(
      '/workspaces/:id/agents/:name/lifecycle',
      {
        schema: {
          summary: "An agent of the workspace's latest build reports its lifecycle state",
          description:
            'When the last agent of a prebuild reports `ready`, the prebuild becomes eligible for claims.',
          tags: TAGS,
          response: { 200: AgentJson, ...errors(400, 404) },
          params: {
            type: 'object',
            properties: {
              id: { type: 'string', description: 'workspace id' },
              name: { type: 'string', description: 'agent name' },
            },
            required: ['id', 'name'],
          },
          body: {
            type: 'object',
            properties: { state: { type: 'string', enum: [...AGENT_LIFECYCLE_STATES] } },
            required: ['state'],
            additionalProperties: false,
          },
        },
        config: { role: 'client' },
      },
      async (request) => {
        const { id, name } = request.params;
        const result = await updateAgentLifecycle(deps.db, {
          workspaceId: id,
          name,
          state: request.body.state,
          now: deps.clock.now(),
        });
        switch (result.outcome) {
          case 'workspace_not_found':
            throw notFound(`workspace ${id} not found`);
          case 'agent_not_found':
            throw notFound(`workspace ${id} has no agent named "${name}" in its latest build`);
          case 'updated':
            observeTimeToReady(deps.metrics, result.prebuildReady);
            return { agent: result.agent };
        }
      },
    );
  };
}
