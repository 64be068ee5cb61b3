import type { FastifyPluginAsync } from 'fastify';

import { errors, ref } from '../http/schema.js';
import type { FeatureFactory } from '../service/controller.js';
import { UserJson, UserList } from './api-schemas.js';
import { changeUserStatus, createUser, KNOWN_ROLES, listUsers, userJson } from './users.js';

const createBody = {
  type: 'object',
  required: ['username'],
  additionalProperties: false,
  properties: {
    username: { type: 'string' },
    email: { type: 'string' },
    roles: { type: 'array', items: { type: 'string', enum: [...KNOWN_ROLES] } },
  },
} as const;

const refParams = {
  type: 'object',
  required: ['ref'],
  properties: { ref: { type: 'string', minLength: 1, description: 'user id or username' } },
} as const;

/** Users: create, list, suspend and activate (a suspended owner's workspaces are stopped). */
export const usersFeature: FeatureFactory = ({ pool, clock }) => {
  const routes: FastifyPluginAsync = async (api) => {
    api.post<{ Body: { username: string; email?: string; roles?: string[] } }>(
      '/users',
      {
        schema: {
          summary: 'Create a user',
          tags: ['users'],
          body: createBody,
          response: { 201: ref(UserJson), ...errors(400, 409) },
        },
        config: { role: 'client' },
      },
      async (request, reply) => {
        const user = await createUser(pool, request.body, clock.now());
        return reply.status(201).send(userJson(user));
      },
    );
    api.get(
      '/users',
      {
        schema: {
          summary: 'List users',
          tags: ['users'],
          response: { 200: UserList, ...errors() },
        },
        config: { role: 'read' },
      },
      async () => ({ users: (await listUsers(pool)).map(userJson) }),
    );
    for (const [action, status] of [
      ['suspend', 'suspended'],
      ['activate', 'active'],
    ] as const) {
      api.post<{ Params: { ref: string } }>(
        `/users/:ref/${action}`,
        {
          schema: {
            summary:
              action === 'suspend'
                ? 'Suspend a user (their running workspaces are stopped)'
                : 'Activate a suspended or dormant user',
            tags: ['users'],
            params: refParams,
            response: { 200: ref(UserJson), ...errors(400, 404) },
          },
          config: { role: 'client' },
        },
        async (request) =>
          userJson(await changeUserStatus(pool, request.params.ref, status, clock.now())),
      );
    }
  };
  return { api: [routes] };
};
