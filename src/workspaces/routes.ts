import type { FastifyPluginAsync } from 'fastify';

import type { Db } from '../db/sql-files.js';
import { errors, ref } from '../http/schema.js';
import type { Transition } from '../jobs/model.js';
import type { Clock } from '../util/clock.js';
import {
  ManualBuild,
  WorkspaceJson,
  WorkspaceList,
  WorkspaceWithBump,
  WorkspaceWithWarnings,
} from './api-schemas.js';
import { createManualBuild, MANUAL_TRANSITIONS } from './builds.js';
import { extendDeadline, recordActivity, setAutostart, setDormant, setTtl } from './schedule.js';
import { DEFAULT_PAGE_LIMIT, encodeCursor, MAX_PAGE_LIMIT, pageRequest } from './page.js';
import { listWorkspaceViews, requireWorkspaceView, workspaceJson } from './view.js';

// Ids are not format-checked by the schema: an id that is not a UUID is simply not found (404).
const idParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'workspace id, or owner/name' } },
  required: ['id'],
} as const;

const TAGS = ['workspaces'];

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
    api.get<{ Querystring: { owner?: string; template?: string; limit?: string; after?: string } }>(
      '/workspaces',
      {
        schema: {
          summary:
            'List workspaces (prebuilt ones included) with their latest build, a page at a time',
          tags: TAGS,
          querystring: {
            type: 'object',
            properties: {
              owner: { type: 'string', minLength: 1, description: 'owner id or username' },
              template: { type: 'string', minLength: 1, description: 'template id or name' },
              limit: {
                type: 'string',
                pattern: '^[0-9]{1,4}$',
                description: `at most this many workspaces, 1 to ${MAX_PAGE_LIMIT} (default ${DEFAULT_PAGE_LIMIT})`,
              },
              after: {
                type: 'string',
                minLength: 1,
                maxLength: 4096,
                description: "the previous page's next_cursor",
              },
            },
            additionalProperties: false,
          },
          response: { 200: WorkspaceList, ...errors(400) },
        },
        config: { role: 'read' },
      },
      async (request) => {
        const page = await listWorkspaceViews(db, request.query, pageRequest(request.query));
        return {
          workspaces: page.rows.map(workspaceJson),
          next_cursor: page.next ? encodeCursor(page.next) : null,
        };
      },
    );

    api.get<{ Params: { id: string } }>(
      '/workspaces/:id',
      {
        schema: {
          summary: 'A workspace with its latest build, deadline and schedule',
          tags: TAGS,
          params: idParams,
          response: { 200: ref(WorkspaceJson), ...errors(404) },
        },
        config: { role: 'read' },
      },
      async (request) => workspaceJson(await requireWorkspaceView(db, request.params.id)),
    );

    api.post<WithId<{ transition: Transition }>>(
      '/workspaces/:id/builds',
      {
        schema: {
          summary: 'Start, stop or delete a workspace (a build)',
          tags: TAGS,
          params: idParams,
          body: body({ transition: { type: 'string', enum: [...MANUAL_TRANSITIONS] } }),
          response: { 201: ManualBuild, ...errors(400, 404, 409) },
        },
        config: { role: 'client' },
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
      {
        schema: {
          summary: 'Set (or remove with null) the autostart schedule',
          tags: TAGS,
          params: idParams,
          body: body({
            schedule: {
              type: ['string', 'null'],
              description: 'weekly cron, e.g. "CRON_TZ=Europe/Berlin 30 8 * * 1-5"',
            },
          }),
          response: { 200: WorkspaceWithWarnings, ...errors(400, 404, 409) },
        },
        config: { role: 'client' },
      },
      async (request) => setAutostart(db, request.params.id, request.body.schedule, clock.now()),
    );

    api.put<WithId<{ ttl_ms: number | null }>>(
      '/workspaces/:id/ttl',
      {
        schema: {
          summary: 'Set (or remove with null) the time until autostop after a start',
          tags: TAGS,
          params: idParams,
          body: body({ ttl_ms: { type: ['integer', 'null'], description: 'milliseconds' } }),
          response: { 200: ref(WorkspaceJson), ...errors(400, 404, 409) },
        },
        config: { role: 'client' },
      },
      async (request) => setTtl(db, request.params.id, request.body.ttl_ms, clock.now()),
    );

    api.put<WithId<{ deadline: string }>>(
      '/workspaces/:id/extend',
      {
        schema: {
          summary: "Move the running build's autostop deadline",
          tags: TAGS,
          params: idParams,
          body: body({ deadline: { type: 'string', description: 'ISO 8601 instant' } }),
          response: { 200: ref(WorkspaceJson), ...errors(400, 404, 409) },
        },
        config: { role: 'client' },
      },
      async (request) => extendDeadline(db, request.params.id, request.body.deadline, clock.now()),
    );

    api.put<WithId<{ dormant: boolean }>>(
      '/workspaces/:id/dormant',
      {
        schema: {
          summary: 'Mark a workspace dormant (it is stopped) or wake it up',
          tags: TAGS,
          params: idParams,
          body: body({ dormant: { type: 'boolean' } }),
          response: { 200: ref(WorkspaceJson), ...errors(400, 404, 409) },
        },
        config: { role: 'client' },
      },
      async (request) => setDormant(db, request.params.id, request.body.dormant, clock.now()),
    );

    api.post<{ Params: { id: string } }>(
      '/workspaces/:id/activity',
      {
        schema: {
          summary: 'Record activity: bumps last_used_at and, per the template, the deadline',
          tags: TAGS,
          params: idParams,
          response: { 200: WorkspaceWithBump, ...errors(404, 409) },
        },
        config: { role: 'client' },
      },
      async (request) => recordActivity(db, request.params.id, clock.now()),
    );
  };
}
