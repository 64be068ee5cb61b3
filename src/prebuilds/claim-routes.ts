import type { FastifyPluginAsync } from 'fastify';

import type { Db } from '../db/sql-files.js';
import { errors } from '../http/schema.js';
import { CreatedWorkspace } from '../workspaces/api-schemas.js';
import type { Clock } from '../util/clock.js';
import type { CreateWorkspaceInput } from './create-request.js';
import { createdWorkspaceJson, createWorkspace } from './create-workspace.js';
import type { PrebuildMetrics } from './metrics.js';

const createBody = {
  type: 'object',
  required: ['owner', 'template', 'name'],
  additionalProperties: false,
  properties: {
    owner: { type: 'string', minLength: 1 },
    template: { type: 'string', minLength: 1 },
    organization: { type: 'string', minLength: 1 },
    preset: { type: 'string', minLength: 1 },
    parameters: {
      type: 'object',
      additionalProperties: { type: 'string' },
    },
    name: { type: 'string', minLength: 1 },
    autostart_schedule: { type: ['string', 'null'] },
    ttl_ms: { type: ['integer', 'null'] },
  },
} as const;

/**
 * `POST /api/v1/workspaces`: claim a ready prebuild of the preset, or build a new workspace.
 * 201 `{"workspace": {...}, "claimed": bool, "build": {...}}`.
 */
export function workspaceCreateRoute(deps: {
  readonly db: Db;
  readonly clock: Clock;
  readonly metrics?: PrebuildMetrics;
}): FastifyPluginAsync {
  return async (api) => {
    api.post<{ Body: CreateWorkspaceInput }>(
      '/workspaces',
      {
        schema: {
          summary: 'Create a workspace: claims a ready prebuild of the preset when there is one',
          description:
            'With a preset that has prebuilds and a ready one, ownership moves to the user at once (`claimed: true`) and a start build runs for them; otherwise a new workspace is built.',
          tags: ['workspaces'],
          body: createBody,
          response: { 201: CreatedWorkspace, ...errors(400, 404, 409) },
        },
        config: { role: 'client' },
      },
      async (request, reply) => {
        const created = await createWorkspace(deps.db, request.body, deps.clock.now(), {
          ...(deps.metrics ? { metrics: deps.metrics } : {}),
        });
        return reply.status(201).send(await createdWorkspaceJson(deps.db, created));
      },
    );
  };
}
