import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';

import type { Logger } from '../log/logger.js';
import { checkApiAccess } from './auth.js';
import { registerBodyParsers } from './body-parsers.js';
import { AppError, type ErrorDetail } from './errors.js';
import { COMPONENTS } from './components.js';
import { HEALTH_SCHEMAS } from './health-schemas.js';
import { observeRequests } from './observe.js';
import { OPENAPI_PATH, registerOpenApi } from './openapi.js';

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
  /**
   * Called with every JSON answer of a route that has response schemas; a message fails the
   * answer with a 500 `response_contract` error naming it. Tests pass a strict validator here
   * (test/helpers/response-contract.ts); production passes nothing.
   */
  readonly checkResponse?: ResponseCheck;
}

/** What a response check sees: the route, the status and its schema (if any), and the body. */
export interface ResponseCheckInput {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  /** The route's schema for the status (exact, then `4xx`-style, then `default`); undefined = none. */
  readonly schema: unknown;
  readonly body: unknown;
}
export type ResponseCheck = (input: ResponseCheckInput) => string | undefined;

function responseSchemaFor(responses: Record<string, unknown>, status: number): unknown {
  return (
    responses[String(status)] ??
    responses[`${String(status).charAt(0)}xx`] ??
    responses[`${String(status).charAt(0)}XX`] ??
    responses.default
  );
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

  // Responses are serialized with JSON.stringify, never with Fastify's schema-driven serializer:
  // fast-json-stringify silently drops every property a response schema does not list, so a new
  // field would vanish from the API instead of failing a test. The schemas document the answers
  // (OpenAPI) and tests validate real answers against them (checkResponse).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const check = options.checkResponse;
  if (check) {
    app.addHook('onSend', async (request, reply, payload) => {
      const responses = request.routeOptions.schema?.response as
        Record<string, unknown> | undefined;
      const type = String(reply.getHeader('content-type') ?? '');
      if (!responses || typeof payload !== 'string' || !type.startsWith('application/json')) {
        return payload;
      }
      const route = request.routeOptions.url ?? request.url;
      const status = reply.statusCode;
      const problem = check({
        method: request.method,
        route,
        status,
        schema: responseSchemaFor(responses, reply.statusCode),
        body: JSON.parse(payload) as unknown,
      });
      if (problem === undefined) return payload;
      reply.code(500);
      return JSON.stringify({
        code: 'response_contract',
        message: `${request.method} ${route} ${status}: ${problem}`,
        details: [],
      });
    });
  }
  for (const schema of COMPONENTS) app.addSchema(schema);
  const withApi = options.api !== undefined;
  if (withApi) await registerOpenApi(app);

  registerBodyParsers(app);

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

  app.get('/healthz', { schema: HEALTH_SCHEMAS.healthz }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: HEALTH_SCHEMAS.readyz }, async (_request, reply) => {
    const readiness = await options.readiness();
    return reply.status(readiness.ready ? 200 : 503).send(readiness);
  });

  app.get('/metrics', { schema: HEALTH_SCHEMAS.metrics }, async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.header('content-type', options.registry.contentType).send(body);
  });

  if (withApi) {
    // Open like the probes: it describes the API, not data (see docs/http-api.md).
    app.get(OPENAPI_PATH, { schema: HEALTH_SCHEMAS.openapi }, async () => app.swagger());
  }

  await app.register(
    async (api) => {
      api.addHook('onRequest', async (request) => checkApiAccess(request, options.apiToken));
      for (const plugin of options.api ?? []) await api.register(plugin);
    },
    { prefix: '/api/v1' },
  );

  return app;
}
