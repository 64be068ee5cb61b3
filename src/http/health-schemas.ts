import { boolean, enumOf, object } from './schema.js';

const readiness = object({
  ready: boolean,
  checks: {
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'each check and its state: "ok" or what is wrong',
  },
});

/** Schemas of the routes outside /api/v1 (no token needed). */
export const HEALTH_SCHEMAS = {
  healthz: {
    summary: 'Liveness: 200 while the process is up',
    tags: ['health'],
    security: [],
    response: { 200: object({ status: enumOf(['ok']) }) },
  },
  readyz: {
    summary: 'Readiness: the database answers and every migration is applied',
    tags: ['health'],
    security: [],
    response: { 200: readiness, 503: readiness },
  },
  metrics: {
    summary: 'Prometheus metrics (text exposition format)',
    tags: ['health'],
    security: [],
    produces: ['text/plain'],
    response: { 200: { type: 'string', description: 'Prometheus text format 0.0.4' } },
  },
  openapi: {
    summary: 'This OpenAPI 3.1 document',
    tags: ['health'],
    security: [],
    response: { 200: { type: 'object', description: 'an OpenAPI 3.1 document' } },
  },
} as const;
