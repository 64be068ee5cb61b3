import type { FastifyPluginAsync } from 'fastify';
import type { DatabasePool } from 'slonik';

import { badRequest } from '../http/errors.js';
import { errors } from '../http/schema.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../util/clock.js';
import { PushPlan, PushResult, TemplateList } from './api-schemas.js';
import { approveExecCommand, requestIsAdmin } from './exec-approval.js';
import { templateConfigJsonSchema } from './json-schema.js';
import { listTemplates } from './list.js';
import { planPush, pushTemplate } from './push.js';
import { validateTemplateConfig } from './validate.js';

export interface TemplateRoutesOptions {
  readonly pool: DatabasePool;
  readonly clock: Clock;
  readonly logger: Logger;
}

const PushQuery = {
  type: 'object',
  properties: {
    dry_run: {
      type: 'string',
      enum: ['true', 'false'],
      description: 'true: validate and show what a push would do, write nothing',
    },
  },
  additionalProperties: false,
} as const;

/**
 * `POST /templates` takes a template config as YAML (`Content-Type: application/yaml`) or JSON
 * and makes it the active version; `GET /templates` lists templates with their presets.
 */
export function templateRoutes(options: TemplateRoutesOptions): FastifyPluginAsync {
  const log = options.logger.child({ component: 'templates' });
  return async (app) => {
    app.post<{ Querystring: { dry_run?: 'true' | 'false' } }>(
      '/templates',
      {
        schema: {
          summary: 'Push a template config (YAML or JSON): it becomes the active version',
          description:
            '201 when a new version was created, 200 with `changed: false` for content identical to the active version, 200 with `plan` for `?dry_run=true`. 400 lists every problem of the config with its path.',
          tags: ['templates'],
          querystring: PushQuery,
          response: {
            200: { oneOf: [PushResult, PushPlan] },
            201: PushResult,
            ...errors(400),
          },
        },
        config: {
          role: 'template-admin',
          openapiBody: {
            schema: templateConfigJsonSchema(),
            contentTypes: ['application/yaml', 'application/json'],
          },
        },
      },
      async (request, reply) => {
        const result = validateTemplateConfig(request.body);
        if (!result.ok) {
          const count = result.issues.length;
          throw badRequest(
            `the template config has ${count} problem${count === 1 ? '' : 's'}: ${result.issues
              .map((issue) => `${issue.path}: ${issue.message}`)
              .join('; ')}`,
            result.issues,
          );
        }
        const config = approveExecCommand(result.config, requestIsAdmin(request));
        if (request.query.dry_run === 'true') {
          return reply.status(200).send({ plan: await planPush(options.pool, config) });
        }
        const pushed = await pushTemplate(options.pool, config);
        log.info(
          {
            template: pushed.template.name,
            organization: pushed.template.organization,
            version: pushed.version.name,
            changed: pushed.changed,
          },
          pushed.changed ? 'template version pushed' : 'template push unchanged',
        );
        return reply.status(pushed.changed ? 201 : 200).send({
          template: pushed.template,
          version: pushed.version,
          changed: pushed.changed,
        });
      },
    );

    app.get(
      '/templates',
      {
        schema: {
          summary: 'List templates with their active version and presets',
          tags: ['templates'],
          response: { 200: TemplateList, ...errors() },
        },
        config: { role: 'read' },
      },
      async (request) => {
        const listing = await listTemplates(options.pool, options.clock.now());
        for (const bad of listing.unreadable) {
          request.log.error(
            { template: bad },
            'template left out of the list: its row cannot be read',
          );
        }
        return listing;
      },
    );
  };
}
