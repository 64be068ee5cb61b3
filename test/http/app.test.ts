import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { databaseReadiness } from '../../src/db/readiness.js';
import { buildApp } from '../../src/http/app.js';
import { badRequest } from '../../src/http/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();

const echo: FastifyPluginAsync = async (api) => {
  api.get('/echo', { config: { role: 'read' } }, async () => ({ ok: true }));
  api.post(
    '/things',
    {
      config: { role: 'client' },
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1 }, count: { type: 'integer' } },
        },
      },
    },
    async (request) => request.body,
  );
  api.get('/fails', { config: { role: 'read' } }, async () => {
    throw badRequest('bad thing', [{ path: 'x', message: 'is wrong' }]);
  });
  api.get('/crashes', { config: { role: 'read' } }, async () => {
    throw new Error('secret internals');
  });
};

async function app(apiToken: string | undefined, registry: Registry = createRegistry()) {
  return buildApp({
    logger: silentLogger(),
    registry,
    apiToken,
    readiness: () => databaseReadiness(db.pool),
    api: [echo],
  });
}

describe('HTTP app', () => {
  let open: FastifyInstance;
  let guarded: FastifyInstance;
  beforeAll(async () => {
    open = await app(undefined);
    guarded = await app('s3cret-token');
  });
  afterAll(async () => {
    await open.close();
    await guarded.close();
  });

  it('answers /healthz and /readyz without a token', async () => {
    expect((await guarded.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await guarded.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true, checks: { database: 'ok', migrations: 'ok' } });
  });

  it('serves Prometheus metrics with process metrics', async () => {
    const response = await guarded.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('requires the bearer token on /api/v1 when one is configured', async () => {
    expect((await guarded.inject('/api/v1/echo')).json()).toEqual({
      code: 'unauthorized',
      message: 'missing "Authorization: Bearer <token>" header',
      details: [],
    });
    const wrong = await guarded.inject({
      url: '/api/v1/echo',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'unauthorized', message: 'invalid API token' });
    const right = await guarded.inject({
      url: '/api/v1/echo',
      headers: { authorization: 'Bearer s3cret-token' },
    });
    expect(right.statusCode).toBe(200);
  });

  it('without a token answers loopback clients only', async () => {
    const local = await open.inject({ url: '/api/v1/echo', remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(200);
    const remote = await open.inject({ url: '/api/v1/echo', remoteAddress: '10.1.2.3' });
    expect(remote.statusCode).toBe(403);
    expect(remote.json().code).toBe('forbidden');
  });

  it('answers errors as {code, message, details}', async () => {
    const headers = { authorization: 'Bearer s3cret-token' };
    const invalid = await guarded.inject({
      method: 'POST',
      url: '/api/v1/things',
      headers,
      payload: { count: 'many', extra: 1 },
    });
    expect(invalid.statusCode).toBe(400);
    const body = invalid.json();
    expect(body.code).toBe('bad_request');
    expect(body.details).toEqual(
      expect.arrayContaining([
        { path: 'name', message: "must have required property 'name'" },
        { path: 'extra', message: 'unknown field' },
        { path: 'count', message: 'must be integer' },
      ]),
    );
    const thrown = await guarded.inject({ url: '/api/v1/fails', headers });
    expect(thrown.statusCode).toBe(400);
    expect(thrown.json()).toEqual({
      code: 'bad_request',
      message: 'bad thing',
      details: [{ path: 'x', message: 'is wrong' }],
    });
    const crash = await guarded.inject({ url: '/api/v1/crashes', headers });
    expect(crash.statusCode).toBe(500);
    expect(crash.json()).toEqual({ code: 'internal', message: 'internal error', details: [] });
    const missing = await guarded.inject({ url: '/nowhere' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('not_found');
  });

  it('parses YAML bodies and reports bad YAML as 400', async () => {
    const headers = { authorization: 'Bearer s3cret-token', 'content-type': 'application/yaml' };
    const ok = await guarded.inject({
      method: 'POST',
      url: '/api/v1/things',
      headers,
      payload: 'name: box\n',
    });
    expect(ok.json()).toEqual({ name: 'box' });
    const bad = await guarded.inject({
      method: 'POST',
      url: '/api/v1/things',
      headers,
      payload: 'a: [',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/^body is not valid YAML/);
  });

  it('refuses a __proto__ key in a JSON or YAML body, saying so', async () => {
    const post = (type: string, payload: string) =>
      guarded.inject({
        method: 'POST',
        url: '/api/v1/things',
        headers: { authorization: 'Bearer s3cret-token', 'content-type': type },
        payload,
      });
    const message =
      'body: a "__proto__" key is not allowed (at __proto__): it could change the prototype of the parsed object; rename or remove it';
    for (const response of [
      await post('application/json', '{"name":"box","__proto__":{"count":1}}'),
      await post('application/yaml', 'name: box\n__proto__:\n  count: 1\n'),
    ]) {
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ code: 'bad_request', message, details: [] });
    }
    const nested = await post('application/json', '{"name":"box","x":[{"__proto__":{}}]}');
    expect(nested.json<{ message: string }>().message).toMatch(/\(at x\[0\]\.__proto__\)/);
    // Malformed JSON still says what is wrong with it.
    const broken = await post('application/json', '{"name":');
    expect(broken.statusCode).toBe(400);
    expect(broken.json<{ message: string }>().message).toMatch(/^body is not valid JSON: /);
  });

  it('reports 503 on /readyz when the database is unreachable', async () => {
    const broken = await buildApp({
      logger: silentLogger(),
      registry: new Registry(),
      apiToken: undefined,
      readiness: async () => ({ ready: false, checks: { database: 'connection refused' } }),
    });
    const response = await broken.inject('/readyz');
    expect(response.statusCode).toBe(503);
    await broken.close();
  });
});
