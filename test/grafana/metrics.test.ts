import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { dashboardQueries, variableQueries } from '../../scripts/grafana/dashboard-queries.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/logger.js';
import { enqueueNotification } from '../../src/notifications/enqueue.js';
import { type RunningController, startController } from '../../src/service/controller.js';
import { FEATURES } from '../../src/service/features.js';
import { packageRoot } from '../../src/util/paths.js';
import { useTestDatabase } from '../helpers/db.js';
import { strictResponseCheck } from '../helpers/response-contract.js';
import { loadRules, loadRulesTest } from './alerts.js';
import { type Family, parseExposition } from './exposition.js';
import { histogramOf, promqlRefs } from './promql.js';

/**
 * Every metric the dashboards and alert rules read must be one the controller exports: a
 * controller with every feature runs on a test database, does some work (a template push, its
 * prebuilds built, a claim, a notification delivered), and its /metrics is the reference.
 */
const db = useTestDatabase();
const TOKEN = 'grafana-metrics-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let controller: RunningController;
let families: Map<string, Family>;
let scrape: string;

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

/** Series Prometheus records for every scrape target itself (not on /metrics). */
const SCRAPE_SERIES: ReadonlyMap<string, Family> = new Map([
  ['up', { name: 'up', type: 'gauge', help: 'scrape succeeded', samples: [] }],
]);

async function api(method: 'GET' | 'POST', url: string, payload?: object | string) {
  const response = await controller.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: typeof payload === 'string' ? { ...auth, 'content-type': 'application/yaml' } : auth,
    ...(payload !== undefined ? { payload } : {}),
  });
  return { status: response.statusCode, body: response.json() };
}

async function scrapeMetrics(): Promise<string> {
  return (await controller.app.inject({ method: 'GET', url: '/metrics' })).body;
}

beforeAll(async () => {
  const config = loadConfig(
    {
      databaseUrl: db.url,
      listen: '127.0.0.1:0',
      apiToken: TOKEN,
      shutdownTimeout: '2s',
      echoDuration: '50ms',
      lifecycleInterval: '200ms',
      notificationDispatchInterval: '200ms',
      prebuildMetricsInterval: '1s',
    },
    {},
  );
  controller = await startController({
    config,
    logger: silentLogger(),
    features: FEATURES,
    checkResponse: strictResponseCheck,
  });
  const template = readFileSync(join(packageRoot, 'examples', 'quickstart.yaml'), 'utf8');
  expect((await api('POST', '/templates', template)).status).toBe(201);
  await vi.waitFor(
    async () => {
      const { body } = await api('GET', '/presets');
      expect(body.presets).toEqual([
        expect.objectContaining({ template: 'quickstart', desired: 3, ready: 3 }),
      ]);
    },
    { timeout: 20_000, interval: 100 },
  );
  expect((await api('POST', '/users', { username: 'gina' })).status).toBe(201);
  const claim = await api('POST', '/workspaces', {
    owner: 'gina',
    template: 'quickstart',
    preset: 'small',
    name: 'ginas-box',
  });
  expect(claim).toMatchObject({ status: 201, body: { claimed: true } });
  await enqueueNotification(controller.context.pool, {
    template: 'prebuild_preset_hard_limited',
    userId: null,
    payload: { template: 'quickstart', preset: 'small', failed_builds: 3 },
    createdBy: 'grafana-test',
    now: new Date(),
  });
  await vi.waitFor(
    async () => {
      scrape = await scrapeMetrics();
      expect(scrape).toMatch(/^coderd_notifications_delivered_total\{/m);
      expect(scrape).toMatch(/^coderd_prebuilt_workspaces_claimed_total\{.*\} 1$/m);
      expect(scrape).toMatch(/^coderd_lifecycle_autobuild_execution_duration_seconds_count \d/m);
    },
    { timeout: 20_000, interval: 200 },
  );
  families = parseExposition(scrape);
}, 60_000);
afterAll(() => controller?.stop());

/**
 * A family's label names: those of its samples, and those it declares (a labelled counter that
 * has not counted anything yet has no samples, but its labels are fixed when it is defined).
 */
function labelsOf(registry: Registry, family: Family): Set<string> {
  const labels = new Set(family.samples.flatMap((sample) => Object.keys(sample.labels)));
  const defined = registry.getSingleMetric(family.name) as { labelNames?: string[] } | undefined;
  for (const label of defined?.labelNames ?? []) labels.add(label);
  return labels;
}

interface Use {
  readonly where: string;
  readonly expr: string;
  readonly legend?: string;
}

function uses(): Use[] {
  const panels = dashboardQueries().map((query) => ({
    where: `${query.file} "${query.panel}" ${query.refId}`,
    expr: query.expr,
    legend: query.legend,
  }));
  const variables = variableQueries().map(({ file, name, query }) => {
    const match = /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(query);
    expect(match, `${file} $${name}`).not.toBeNull();
    // `label_values(m, l)` reads m and needs label l on it, as `max by (l) (m)` does.
    return { where: `${file} $${name}`, expr: `max by (${match![2]}) (${match![1]})` };
  });
  const alerts = loadRules()
    .flatMap((group) => group.rules)
    .map((rule) => ({ where: rule.alert, expr: rule.expr }));
  return [...panels, ...variables, ...alerts];
}

describe('what the dashboards and alert rules read, against a real scrape', () => {
  /** The family a selector reads and whether it names one of a histogram's series. */
  function resolve(metric: string): { family?: Family; bucket: boolean } {
    const scraped = SCRAPE_SERIES.get(metric);
    if (scraped) return { family: scraped, bucket: false };
    const direct = families.get(metric);
    if (direct) return { family: direct, bucket: false };
    const base = histogramOf(metric);
    const histogram = base !== undefined ? families.get(base) : undefined;
    if (histogram?.type !== 'histogram') return { bucket: false };
    return { family: histogram, bucket: metric.endsWith('_bucket') };
  }

  it('every metric exists, with the labels the queries match, group and label by', () => {
    const registry = controller.context.registry;
    const problems: string[] = [];
    const all = uses();
    expect(all.length).toBeGreaterThan(70);
    for (const use of all) {
      const refs = promqlRefs(use.expr);
      expect(refs.selectors.length, use.where).toBeGreaterThan(0);
      const available = new Set(TARGET_LABELS);
      for (const selector of refs.selectors) {
        const { family, bucket } = resolve(selector.metric);
        if (!family) {
          problems.push(`${use.where}: ${selector.metric} is not exported`);
          continue;
        }
        const labels = labelsOf(registry, family);
        if (bucket) labels.add('le');
        for (const label of labels) available.add(label);
        for (const label of selector.labels) {
          if (!labels.has(label) && !TARGET_LABELS.includes(label)) {
            problems.push(`${use.where}: ${selector.metric} has no label ${label}`);
          }
        }
      }
      const legendLabels = [...(use.legend ?? '').matchAll(/\{\{\s*([A-Za-z_]\w*)\s*\}\}/g)].map(
        (match) => match[1]!,
      );
      for (const label of [...refs.grouping, ...legendLabels]) {
        if (!available.has(label)) problems.push(`${use.where}: no metric it reads has ${label}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every histogram the dashboards and rules read has series after the work', () => {
    const histograms = new Set(
      uses()
        .flatMap((use) => promqlRefs(use.expr).selectors)
        .map((selector) => resolve(selector.metric).family)
        .filter((family) => family?.type === 'histogram'),
    );
    expect(histograms.size).toBeGreaterThanOrEqual(5);
    for (const family of histograms) {
      const buckets = family!.samples.filter((sample) => sample.series.endsWith('_bucket'));
      expect(buckets.length, family!.name).toBeGreaterThan(0);
    }
  });

  it('the promtool tests feed only series the controller exports', () => {
    for (const test of loadRulesTest().tests) {
      for (const { series } of test.input_series) {
        const { selectors } = promqlRefs(series);
        expect(selectors).toHaveLength(1);
        const { family } = resolve(selectors[0]!.metric);
        expect(family, `${test.name}: ${series}`).toBeDefined();
        const labels = labelsOf(controller.context.registry, family!);
        for (const label of selectors[0]!.labels) {
          const known = labels.has(label) || TARGET_LABELS.includes(label) || label === 'le';
          expect(known, `${test.name}: ${series} label ${label}`).toBe(true);
        }
      }
    }
  });

  it('our metric families pass the checks of `promtool check metrics`', () => {
    // promtool's lint rules (counters end in _total, nothing else does, every family has help,
    // names are snake_case, durations in seconds); prom-client's default nodejs_* metrics break
    // the _total one, ours must not.
    const ours = [...families.values()].filter((family) =>
      /^(coderd|prebuild_controller)_/.test(family.name),
    );
    expect(ours.length).toBeGreaterThan(25);
    for (const { name, type, help } of ours) {
      expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(help, name).toMatch(/\S/);
      expect(['counter', 'gauge', 'histogram'], name).toContain(type);
      if (type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
      expect(name).not.toMatch(/_(milliseconds|ms|minutes|hours|secs)(_|$)/);
    }
  });
});
