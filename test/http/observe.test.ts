import { Writable } from 'node:stream';

import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { buildApp } from '../../src/http/app.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { VERSION } from '../../src/version/index.js';

const things: FastifyPluginAsync = async (api) => {
  api.get<{ Params: { id: string } }>(
    '/things/:id',
    { config: { role: 'read' } },
    async (request) => ({ id: request.params.id }),
  );
};

async function testApp(registry: Registry, options: { logRequests?: boolean; lines?: string[] }) {
  const logger = options.lines
    ? createLogger({
        level: 'info',
        pretty: false,
        stream: new Writable({
          write(chunk: Buffer, _encoding, done) {
            options.lines!.push(chunk.toString());
            done();
          },
        }),
      })
    : silentLogger();
  return buildApp({
    logger,
    registry,
    apiToken: 'observe-token',
    readiness: async () => ({ ready: true, checks: {} }),
    api: [things],
    logRequests: options.logRequests ?? false,
  });
}

async function values(registry: Registry, name: string) {
  const metric = registry.getSingleMetric(name);
  expect(metric, name).toBeDefined();
  return (await metric!.get()).values;
}

describe('HTTP request metrics', () => {
  it('count requests and latency by route pattern, method and status, never by id', async () => {
    const registry = createRegistry();
    const app = await testApp(registry, {});
    const auth = { authorization: 'Bearer observe-token' };
    for (const id of ['a1', 'b2', 'c3']) {
      expect((await app.inject({ url: `/api/v1/things/${id}`, headers: auth })).statusCode).toBe(
        200,
      );
    }
    expect((await app.inject({ url: '/api/v1/things/zz' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/nothing/here/9' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    await app.close();

    // Without the 500 series every route has at 0 from the start.
    const counts = (await values(registry, 'coderd_api_requests_processed_total'))
      .filter(({ labels, value }) => !(labels.code === '500' && value === 0))
      .map(({ labels, value }) => ({ ...labels, value }));
    expect(counts).toEqual(
      expect.arrayContaining([
        { code: '200', method: 'GET', path: '/api/v1/things/{id}', value: 3 },
        { code: '401', method: 'GET', path: '/api/v1/things/{id}', value: 1 },
        { code: '404', method: 'GET', path: 'unmatched', value: 1 },
        { code: '200', method: 'GET', path: '/healthz', value: 1 },
      ]),
    );
    expect(counts).toHaveLength(4);
    const latency = await values(registry, 'coderd_api_request_latencies_seconds');
    const count = latency.find(
      (sample: { metricName?: string; labels: Record<string, unknown> }) =>
        sample.metricName === 'coderd_api_request_latencies_seconds_count' &&
        sample.labels.path === '/api/v1/things/{id}' &&
        sample.labels.code === '200',
    );
    expect(count?.value).toBe(3);
  });

  it("creates every route's 500 series at 0 once ready, and no other code", async () => {
    const registry = createRegistry();
    const app = await testApp(registry, {});
    await app.ready();
    const samples = await values(registry, 'coderd_api_requests_processed_total');
    const zeroed = samples.map(({ labels, value }) => ({ ...labels, value }));
    expect(zeroed).toEqual(
      expect.arrayContaining([
        { code: '500', method: 'GET', path: '/api/v1/things/{id}', value: 0 },
        { code: '500', method: 'GET', path: '/healthz', value: 0 },
        { code: '500', method: 'GET', path: '/metrics', value: 0 },
      ]),
    );
    expect(samples.every(({ labels, value }) => labels.code === '500' && value === 0)).toBe(true);
    // Not the HEAD routes Fastify adds for GET ones.
    expect(samples.filter(({ labels }) => labels.method === 'HEAD')).toEqual([]);
    // The latency histogram is not pre-created.
    expect(await values(registry, 'coderd_api_request_latencies_seconds')).toEqual([]);
    await app.close();
  });

  it('logs one line per request only when switched on, probes at debug', async () => {
    const quiet: string[] = [];
    const off = await testApp(createRegistry(), { lines: quiet });
    await off.inject({
      url: '/api/v1/things/x1',
      headers: { authorization: 'Bearer observe-token' },
    });
    await off.close();
    expect(quiet.filter((line) => line.includes('"msg":"request"'))).toEqual([]);

    const lines: string[] = [];
    const on = await testApp(createRegistry(), { lines, logRequests: true });
    await on.inject({
      url: '/api/v1/things/x1',
      headers: { authorization: 'Bearer observe-token' },
    });
    await on.inject({ url: '/healthz' });
    await on.close();
    const requests = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === 'request');
    expect(requests).toEqual([
      expect.objectContaining({
        level: 'info',
        component: 'http',
        method: 'GET',
        path: '/api/v1/things/{id}',
        url: '/api/v1/things/x1',
        status: 200,
        ms: expect.any(Number),
      }),
    ]);
  });
});

it('exports build info with the package version', async () => {
  const samples = await values(createRegistry(), 'prebuild_controller_build_info');
  expect(samples).toEqual([
    {
      value: 1,
      labels: {
        version: VERSION,
        node_version: process.version,
        platform: process.platform,
        arch: process.arch,
      },
    },
  ]);
});
