import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';

import type { Logger } from '../log/logger.js';
import { type Principal, ROLES, type Role } from '../tokens/roles.js';
import type { TokenVerifier } from '../tokens/verifier.js';
import { findTextProblems, formatPath } from '../util/text.js';
import { authenticate, authorize } from './auth.js';
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
  /** Bootstrap admin token for /api/v1 (PREBUILD_CONTROLLER_API_TOKEN); undefined = none. */
  readonly apiToken: string | undefined;
  /** Database tokens with roles; undefined = the bootstrap token (or loopback) only. */
  readonly tokenVerifier?: TokenVerifier;
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

/** An /api/v1 route and the role it needs, as registered. */
export interface ApiRoute {
  readonly method: string;
  /** The path under /api/v1, with `:params`. */
  readonly url: string;
  readonly role: Role;
}

const API_PREFIX = '/api/v1';
const registeredRoutes = new WeakMap<FastifyInstance, ApiRoute[]>();

/** Every /api/v1 route of an app built by buildApp, with its role (HEAD twins left out). */
export function apiRoutes(app: FastifyInstance): readonly ApiRoute[] {
  return registeredRoutes.get(app) ?? [];
}

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

  app.decorateRequest('principal', null as unknown as Principal);
  const routes: ApiRoute[] = [];
  registeredRoutes.set(app, routes);
  const auth = {
    apiToken: options.apiToken,
    ...(options.tokenVerifier ? { verifier: options.tokenVerifier } : {}),
  };
  await app.register(
    async (api) => {
      // Every route declares the role it needs in its config, in one place; a route without
      // one fails the app at startup instead of being served unguarded.
      api.addHook('onRoute', (route) => {
        const role = route.config?.role;
        const methods = [route.method].flat();
        if (role === undefined || !(ROLES as readonly string[]).includes(role)) {
          throw new Error(
            `route ${methods.join(',')} ${route.url} declares no role (config.role: one of ${ROLES.join(', ')})`,
          );
        }
        const url = route.url.slice(API_PREFIX.length) || '/';
        for (const method of methods) {
          if (method !== 'HEAD') routes.push({ method, url, role });
        }
      });
      api.addHook('onRequest', async (request) => {
        request.principal = await authenticate(request, auth);
        authorize(request.principal, request.routeOptions.config.role ?? 'admin');
      });
      // The text rule (src/util/text.ts) for everything a request carries, before any route
      // sees it: a NUL or an unpaired surrogate is a 400 naming the field, never a database error.
      api.addHook('preValidation', async (request) => {
        const details = [
          ...findTextProblems(request.params),
          ...findTextProblems(request.query),
          ...findTextProblems(request.body),
        ].map((issue) => ({ path: formatPath(issue.segments, 'body'), message: issue.message }));
        if (details.length > 0) {
          throw new AppError(
            400,
            'bad_request',
            details.map((d) => `${d.path}: ${d.message}`).join('; '),
            details,
          );
        }
      });
      for (const plugin of options.api ?? []) await api.register(plugin);
    },
    { prefix: API_PREFIX },
  );

  return app;
}
