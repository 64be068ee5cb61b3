import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

type Label = 'code' | 'method' | 'path';

interface HttpMetrics {
  readonly requests: Counter<Label>;
  readonly latency: Histogram<Label>;
}

const byRegistry = new WeakMap<Registry, HttpMetrics>();

/** Coder's API request metrics (names, labels and buckets), shared by every app on a registry. */
function httpMetricsFor(registry: Registry): HttpMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = {
      requests: new Counter({
        name: 'coderd_api_requests_processed_total',
        help: 'HTTP requests answered, by status code, method and route pattern (path).',
        labelNames: ['code', 'method', 'path'],
        registers: [registry],
      }),
      latency: new Histogram({
        name: 'coderd_api_request_latencies_seconds',
        help: 'Time to answer HTTP requests, by status code, method and route pattern (path).',
        labelNames: ['code', 'method', 'path'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 10, 30],
        registers: [registry],
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

/** Requests that no route answered share one label value, so probes of random URLs add no series. */
export const UNMATCHED_PATH = 'unmatched';

/** A route pattern as the `path` label spells it (OpenAPI's `{param}`, as in schema/openapi.json). */
function patternLabel(pattern: string | undefined): string {
  if (pattern === undefined || pattern === '') return UNMATCHED_PATH;
  return pattern.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * The route pattern, never the URL: `/api/v1/workspaces/{id}` for every workspace, so ids never
 * become label values.
 */
export function routePath(request: FastifyRequest): string {
  return patternLabel(request.routeOptions.url);
}

/**
 * The status code whose series exist at 0 for every route from the start, so increase() sees a
 * route's first server error (the API error ratio and alerts read 5xx). Only this one: a series
 * per route and code would multiply the cardinality for codes nobody alerts on.
 */
export const PRECREATED_CODE = '500';

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Counts every request and its latency by status, method and route pattern; with `logRequests`,
 * logs one line per request (probes and scrapes at debug, so they do not drown the rest).
 * Register before the routes.
 */
export function observeRequests(
  app: FastifyInstance,
  options: { readonly registry: Registry; readonly logRequests: boolean },
): void {
  const metrics = httpMetricsFor(options.registry);
  // Every route's 500 series at 0 once the app is ready (the HEAD routes Fastify adds for GET
  // ones left out), so a route's first server error is an increase.
  const routes: { method: string; path: string }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD') routes.push({ method, path: patternLabel(route.url) });
    }
  });
  app.addHook('onReady', async () => {
    for (const { method, path } of routes) {
      metrics.requests.inc({ code: PRECREATED_CODE, method, path }, 0);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const path = routePath(request);
    const labels = { code: String(reply.statusCode), method: request.method, path };
    metrics.requests.inc(labels);
    metrics.latency.observe(labels, reply.elapsedTime / 1000);
    if (!options.logRequests) return;
    const line = {
      method: request.method,
      path,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      remote: request.ip,
    };
    if (QUIET_PATHS.has(path)) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  });
}
