import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';
import YAML from 'yaml';

import type { Logger } from '../log/logger.js';
import { checkApiAccess } from './auth.js';
import { AppError, type ErrorDetail } from './errors.js';
import { observeRequests } from './observe.js';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Record<string, string>;
}

export interface AppOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  /** Bearer token for /api/v1; undefined = loopback-only API. */
  readonly apiToken: string | undefined;
  readonly readiness: () => Promise<Readiness>;
  /** Route plugins mounted under /api/v1. */
  readonly api?: readonly FastifyPluginAsync[];
  /** One log line per request (PREBUILD_CONTROLLER_LOG_REQUESTS); default false. */
  readonly logRequests?: boolean;
}

function validationDetails(error: FastifyError): ErrorDetail[] {
  return (error.validation ?? []).map((issue) => {
    const base = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const missing = (issue.params as { missingProperty?: string }).missingProperty;
    const extra = (issue.params as { additionalProperty?: string }).additionalProperty;
    const field = [base, missing ?? extra].filter(Boolean).join('.');
    const message = extra ? `unknown field` : (issue.message ?? 'is invalid');
    return { path: field || (error.validationContext ?? 'body'), message };
  });
}

/**
 * Builds the HTTP app without listening, so tests drive it with `inject()`.
 * `/healthz`, `/readyz` and `/metrics` are open; everything under `/api/v1` is guarded.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    // pino's Logger and Fastify's base logger differ only in generics; the cast picks Fastify's.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false } },
  });

  observeRequests(app, { registry: options.registry, logRequests: options.logRequests ?? false });

  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml'],
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, YAML.parse(body as string));
      } catch (error) {
        done(
          new AppError(400, 'bad_request', `body is not valid YAML: ${(error as Error).message}`),
          undefined,
        );
      }
    },
  );

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      return reply
        .status(error.status)
        .send({ code: error.code, message: error.message, details: error.details });
    }
    if (error.validation) {
      const details = validationDetails(error);
      return reply.status(400).send({
        code: 'bad_request',
        message: details.map((d) => `${d.path}: ${d.message}`).join('; '),
        details,
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error, url: request.url }, 'request failed');
      return reply
        .status(status)
        .send({ code: 'internal', message: 'internal error', details: [] });
    }
    return reply.status(status).send({
      code: error.code?.toLowerCase() ?? 'bad_request',
      message: error.message,
      details: [],
    });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      code: 'not_found',
      message: `no route for ${request.method} ${request.url}`,
      details: [],
    }),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const readiness = await options.readiness();
    return reply.status(readiness.ready ? 200 : 503).send(readiness);
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.header('content-type', options.registry.contentType).send(body);
  });

  await app.register(
    async (api) => {
      api.addHook('onRequest', async (request) => checkApiAccess(request, options.apiToken));
      for (const plugin of options.api ?? []) await api.register(plugin);
    },
    { prefix: '/api/v1' },
  );

  return app;
}
