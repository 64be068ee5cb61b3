import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

import { rolesAllowed } from '../tokens/roles.js';
import { VERSION } from '../version/index.js';
import type { JsonSchema } from './schema.js';

/**
 * A request body that is documented but not validated by Fastify: the route validates it itself
 * (the template config: YAML or JSON, with every problem reported by path). Routes set it as
 * `config: { openapiBody }`; only the OpenAPI document reads it.
 */
export interface OpenApiBody {
  readonly schema: JsonSchema;
  readonly contentTypes: readonly string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** See OpenApiBody. */
    openapiBody?: OpenApiBody;
  }
}

export const OPENAPI_PATH = '/api/v1/openapi.json';

const DESCRIPTION = [
  'The prebuild-controller API: template pushes, prebuild pools (status, plan, pause, invalidate,',
  'reset), users, workspaces (create or claim, builds, schedules), provisioner jobs and agents.',
  'Every /api/v1 route needs `Authorization: Bearer <token>` except this document; each names the',
  'roles that may call it (tokens: docs/security.md).',
  'Errors are `{"code", "message", "details": [{"path", "message"}]}`.',
].join(' ');

/**
 * Registers @fastify/swagger, which collects every route's schema (params, querystring, body,
 * responses, summary, tags) into an OpenAPI 3.1 document: `app.swagger()`. Register before the
 * routes.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'prebuild-controller',
        version: VERSION,
        description: DESCRIPTION,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      tags: [
        { name: 'templates', description: 'template configs and their versions' },
        { name: 'prebuilds', description: 'prebuild pools per preset: status, plan, controls' },
        { name: 'users', description: 'users' },
        { name: 'workspaces', description: 'workspaces: create or claim, builds, schedules' },
        { name: 'jobs', description: 'provisioner jobs and workspace agents' },
        { name: 'health', description: 'probes, metrics and this document (no token needed)' },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'PREBUILD_CONTROLLER_API_TOKEN (admin) or a token from `prebuild-controller tokens create`',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    // Components keep their $id as their name: #/components/schemas/Workspace, not def-2.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    transform: ({ schema, url, route }) => {
      const body = route.config?.openapiBody;
      const role = route.config?.role;
      const withRole =
        role === undefined
          ? schema
          : {
              ...schema,
              description: [
                schema?.description,
                `Needs role ${rolesAllowed(role)
                  .map((r) => `\`${r}\``)
                  .join(' or ')}.`,
              ]
                .filter(Boolean)
                .join('\n\n'),
            };
      if (!body) return { schema: withRole, url };
      return { schema: { ...withRole, body: body.schema, consumes: [...body.contentTypes] }, url };
    },
  });
}
