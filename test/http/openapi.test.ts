import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyPluginAsync } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { FEATURES } from '../../src/service/features.js';
import { packageRoot } from '../../src/util/paths.js';
import { VERSION } from '../../src/version/index.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { strictResponseCheck, validatorFor } from '../helpers/response-contract.js';

/**
 * schema/openapi.json is generated from the route schemas of every feature `run` hosts; this test
 * fails when it is stale. Regenerate with `npm run openapi` (vitest -u on this file).
 */
const db = useTestDatabase();
let test: TestApp;
let document: any;
const COMMITTED = join(packageRoot, 'schema', 'openapi.json');

beforeAll(async () => {
  test = await buildTestApp(db, FEATURES);
  await test.app.ready();
  document = test.app.swagger();
});
afterAll(() => test?.close());

const operations = () =>
  Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );

describe('the OpenAPI document', () => {
  it('is committed as schema/openapi.json and current (run `npm run openapi` after a change)', async () => {
    await expect(JSON.stringify(document, null, 2) + '\n').toMatchFileSnapshot(COMMITTED);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.info).toMatchObject({ title: 'prebuild-controller', version: VERSION });
  });

  it('is served at /api/v1/openapi.json without a token', async () => {
    const response = await test.app.inject({ url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(JSON.parse(readFileSync(COMMITTED, 'utf8')));
  });

  it('describes every /api/v1 route: summary, tag, parameters, body, success and error answers', () => {
    const routes = operations().filter(({ path }) => path.startsWith('/api/v1/'));
    const seen = routes.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort();
    expect(seen).toEqual(
      [
        'GET /api/v1/jobs/{id}',
        'GET /api/v1/jobs/{id}/logs',
        'GET /api/v1/openapi.json',
        'GET /api/v1/presets',
        'GET /api/v1/presets/plan',
        'GET /api/v1/templates',
        'GET /api/v1/users',
        'GET /api/v1/workspaces',
        'GET /api/v1/workspaces/{id}',
        'POST /api/v1/jobs/{id}/cancel',
        'POST /api/v1/prebuilds/pause',
        'POST /api/v1/prebuilds/resume',
        'POST /api/v1/presets/{id}/invalidate',
        'POST /api/v1/presets/{id}/reset',
        'POST /api/v1/templates',
        'POST /api/v1/users',
        'POST /api/v1/users/{ref}/activate',
        'POST /api/v1/users/{ref}/suspend',
        'POST /api/v1/workspaces',
        'POST /api/v1/workspaces/{id}/activity',
        'POST /api/v1/workspaces/{id}/agents/{name}/lifecycle',
        'POST /api/v1/workspaces/{id}/builds',
        'PUT /api/v1/workspaces/{id}/autostart',
        'PUT /api/v1/workspaces/{id}/dormant',
        'PUT /api/v1/workspaces/{id}/extend',
        'PUT /api/v1/workspaces/{id}/ttl',
      ].sort(),
    );
    const withoutBody = /\/(activity|cancel|invalidate|reset|pause|resume|suspend|activate)$/;
    for (const { path, method, operation } of routes) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(operation.summary, where).toMatch(/\S/);
      expect(operation.tags?.length, where).toBe(1);
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        expect(
          operation.parameters?.some((p: any) => p.in === 'path' && p.name === name),
          `${where} documents {${name}}`,
        ).toBe(true);
      }
      if ((method === 'post' || method === 'put') && !withoutBody.test(path)) {
        expect(operation.requestBody?.content, where).toBeDefined();
      }
      const statuses = Object.keys(operation.responses);
      expect(
        statuses.some((status) => /^2\d\d$/.test(status)),
        where,
      ).toBe(true);
      if (path !== '/api/v1/openapi.json') {
        expect(statuses, where).toEqual(expect.arrayContaining(['401', '403', '500', '4XX']));
      }
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        const schema = response.content?.['application/json']?.schema;
        expect(schema, `${where} ${status}`).toBeDefined();
      }
    }
    const push = document.paths['/api/v1/templates'].post.requestBody.content;
    expect(Object.keys(push).sort()).toEqual(['application/json', 'application/yaml']);
    expect(push['application/yaml'].schema.properties.presets).toBeDefined();
  });

  it('has closed response objects whose schemas compile in strict mode', () => {
    const open: string[] = [];
    const walk = (schema: any, where: string) => {
      if (!schema || typeof schema !== 'object') return;
      if (schema.properties && schema.additionalProperties !== false) open.push(where);
      for (const [key, value] of Object.entries(schema)) {
        if (key === 'properties') {
          for (const [name, child] of Object.entries<any>(value as object)) {
            walk(child, `${where}.${name}`);
          }
        } else if (typeof value === 'object') walk(value, `${where}/${key}`);
      }
    };
    // The document's `#/components/schemas/X` are the app's shared schemas with $id X.
    const local = (schema: unknown): object =>
      JSON.parse(JSON.stringify(schema).replace(/"#\/components\/schemas\/([A-Za-z]+)"/g, '"$1#"'));
    const components = Object.entries<any>(document.components.schemas);
    expect(components.map(([name]) => name).sort()).toEqual(['Error', 'Job', 'User', 'Workspace']);
    for (const [name, schema] of components) walk(schema, `components.schemas.${name}`);
    for (const { path, method, operation } of operations()) {
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        for (const media of Object.values<any>(response.content ?? {})) {
          walk(media.schema, `${method} ${path} ${status}`);
          const where = `${method} ${path} ${status}`;
          expect(() => validatorFor(local(media.schema)), where).not.toThrow();
        }
      }
    }
    expect(open).toEqual([]);
  });
});

describe('response schemas are a contract, not a filter', () => {
  // A route whose answer gained a field its schema does not list.
  const drifted: FastifyPluginAsync = async (api) => {
    api.get(
      '/thing',
      {
        config: { role: 'read' },
        schema: {
          response: {
            200: {
              type: 'object',
              additionalProperties: false,
              required: ['id'],
              properties: { id: { type: 'string' } },
            },
          },
        },
      },
      async () => ({ id: 'a', added_later: 42 }),
    );
  };
  const appWith = (checked: boolean) =>
    buildApp({
      logger: silentLogger(),
      registry: createRegistry(),
      apiToken: 'contract-token',
      readiness: async () => ({ ready: true, checks: {} }),
      api: [drifted],
      ...(checked ? { checkResponse: strictResponseCheck } : {}),
    });
  const get = { url: '/api/v1/thing', headers: { authorization: 'Bearer contract-token' } };

  it('never drops an undocumented field (JSON.stringify, not the schema serializer)', async () => {
    const app = await appWith(false);
    const response = await app.inject(get);
    await app.close();
    expect(response.json()).toEqual({ id: 'a', added_later: 42 });
  });

  it('fails the answer in tests, naming the field', async () => {
    const app = await appWith(true);
    const response = await app.inject(get);
    await app.close();
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      code: 'response_contract',
      message: expect.stringContaining('must NOT have additional properties'),
      details: [],
    });
    expect(response.json().message).toMatch(/^GET \/api\/v1\/thing 200: /);
  });
});
