import type { FastifyPluginAsync } from 'fastify';

import type { Db } from '../db/sql-files.js';
import type { Transition } from '../jobs/model.js';
import type { Clock } from '../util/clock.js';
import { createManualBuild, MANUAL_TRANSITIONS } from './builds.js';
import { extendDeadline, recordActivity, setAutostart, setDormant, setTtl } from './schedule.js';
import { listWorkspaceViews, requireWorkspaceView, workspaceJson } from './view.js';

// Ids are not format-checked by the schema: an id that is not a UUID is simply not found (404).
const idParams = {
  type: 'object',
  properties: { id: { type: 'string' } },
  required: ['id'],
} as const;

const body = (properties: Record<string, object>) =>
  ({
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  }) as const;

type WithId<T = unknown> = { Params: { id: string }; Body: T };

/**
 * The workspace API (DESIGN section 11) except creation: list and show, manual builds, and the
 * schedule (autostart, TTL, extend, dormancy, activity). `POST /workspaces` (create or claim) lives
 * in its own module and answers with the same `workspaceJson`.
 */
export function workspaceRoutes(deps: { db: Db; clock: Clock }): FastifyPluginAsync {
  const { db, clock } = deps;
  return async (api) => {
    api.get<{ Querystring: { owner?: string; template?: string } }>(
      '/workspaces',
      {
        schema: {
          querystring: {
            type: 'object',
            properties: {
              owner: { type: 'string', minLength: 1 },
              template: { type: 'string', minLength: 1 },
            },
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const rows = await listWorkspaceViews(db, request.query);
        return { workspaces: rows.map(workspaceJson) };
      },
    );

    api.get<{ Params: { id: string } }>(
      '/workspaces/:id',
      { schema: { params: idParams } },
      async (request) => workspaceJson(await requireWorkspaceView(db, request.params.id)),
    );

    api.post<WithId<{ transition: Transition }>>(
      '/workspaces/:id/builds',
      {
        schema: {
          params: idParams,
          body: body({ transition: { type: 'string', enum: [...MANUAL_TRANSITIONS] } }),
        },
      },
      async (request, reply) => {
        const build = await createManualBuild(
          db,
          request.params.id,
          request.body.transition,
          clock.now(),
        );
        return reply.status(201).send(build);
      },
    );

    api.put<WithId<{ schedule: string | null }>>(
      '/workspaces/:id/autostart',
      { schema: { params: idParams, body: body({ schedule: { type: ['string', 'null'] } }) } },
      async (request) => setAutostart(db, request.params.id, request.body.schedule, clock.now()),
    );

    api.put<WithId<{ ttl_ms: number | null }>>(
      '/workspaces/:id/ttl',
      { schema: { params: idParams, body: body({ ttl_ms: { type: ['integer', 'null'] } }) } },
      async (request) => setTtl(db, request.params.id, request.body.ttl_ms, clock.now()),
    );

    api.put<WithId<{ deadline: string }>>(
      '/workspaces/:id/extend',
      { schema: { params: idParams, body: body({ deadline: { type: 'string' } }) } },
      async (request) => extendDeadline(db, request.params.id, request.body.deadline, clock.now()),
    );

    api.put<WithId<{ dormant: boolean }>>(
      '/workspaces/:id/dormant',
      { schema: { params: idParams, body: body({ dormant: { type: 'boolean' } }) } },
      async (request) => setDormant(db, request.params.id, request.body.dormant, clock.now()),
    );

    api.post<{ Params: { id: string } }>(
      '/workspaces/:id/activity',
      { schema: { params: idParams } },
      async (request) => recordActivity(db, request.params.id, clock.now()),
    );
  };
}
