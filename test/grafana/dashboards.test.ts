import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { dashboardsDir } from '../../scripts/grafana/dashboard-queries.js';
import { buildDashboards } from '../../scripts/grafana/index.js';
import { packageRoot } from '../../src/util/paths.js';

const files = readdirSync(dashboardsDir).filter((file) => file.endsWith('.json'));
const dashboards = files.map((file) => ({
  file,
  json: JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')),
}));
const panelsOf = (dashboard: any): any[] =>
  dashboard.panels.filter((panel: any) => panel.type !== 'row');

const BUILTIN_VARIABLES = new Set(['__rate_interval', '__range', '__interval']);
const DATASOURCE_REF = { type: 'prometheus', uid: '${datasource}' };

describe('grafana/dashboards', () => {
  it('are exactly what scripts/grafana generates (run `npm run grafana:dashboards`)', () => {
    const generated = buildDashboards();
    expect(files.sort()).toEqual([...generated.keys()].sort());
    for (const { file, json } of dashboards) expect(json, file).toEqual(generated.get(file));
  });

  it('have stable, unique uids and titles, a current schema and the shared tag', () => {
    const uids = dashboards.map(({ json }) => json.uid);
    expect(new Set(uids).size).toBe(dashboards.length);
    expect(new Set(dashboards.map(({ json }) => json.title)).size).toBe(dashboards.length);
    for (const { file, json } of dashboards) {
      expect(json.uid, file).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(json.id, file).toBeNull();
      expect(json.schemaVersion, file).toBeGreaterThanOrEqual(39);
      expect(json.tags, file).toContain('prebuild-controller');
      expect(json.description, file).not.toBe('');
    }
  });

  it.each(dashboards)('$file: query panels read the datasource variable', ({ json }) => {
    const variables = json.templating.list;
    const datasources = variables.filter((v: any) => v.type === 'datasource');
    expect(datasources).toEqual([
      expect.objectContaining({ name: 'datasource', query: 'prometheus' }),
    ]);
    for (const variable of variables.filter((v: any) => v.type === 'query')) {
      expect(variable.datasource, variable.name).toEqual(DATASOURCE_REF);
    }
    const panels = panelsOf(json);
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual(DATASOURCE_REF);
      expect(panel.description, panel.title).toMatch(/\S/);
      expect(panel.fieldConfig.defaults.unit, panel.title).toMatch(/\S/);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      const refIds = panel.targets.map((target: any) => target.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
      for (const target of panel.targets) {
        expect(target.datasource, panel.title).toEqual(DATASOURCE_REF);
        expect(typeof target.expr, panel.title).toBe('string');
        expect(target.expr.trim(), panel.title).not.toBe('');
      }
    }
  });

  it.each(dashboards)('$file: every variable a query uses is defined', ({ json }) => {
    const defined = new Set(json.templating.list.map((v: any) => v.name));
    const sources = [
      ...panelsOf(json).flatMap((panel) => [
        panel.title,
        ...panel.targets.map((target: any) => target.expr),
      ]),
      ...json.templating.list.map((v: any) => (typeof v.query === 'string' ? v.query : '')),
    ];
    for (const text of sources) {
      for (const [, name] of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)) {
        expect(defined.has(name) || BUILTIN_VARIABLES.has(name), `$${name} in ${text}`).toBe(true);
      }
    }
    for (const panel of panelsOf(json).filter((p) => p.repeat)) {
      expect(defined.has(panel.repeat), panel.title).toBe(true);
    }
  });

  it.each(dashboards)(
    '$file: counters go through rate/increase over Grafana ranges',
    ({ json }) => {
      for (const panel of panelsOf(json)) {
        for (const { expr } of panel.targets) {
          for (const match of expr.matchAll(/[a-z_:]+_(?:total|bucket|sum|count)\{/g)) {
            expect(expr.slice(0, match.index), `${panel.title}: ${expr}`).toMatch(
              /(?:rate|increase)\($/,
            );
          }
          for (const [, range] of expr.matchAll(/\[([^\]]+)\]/g)) {
            expect(['$__rate_interval', '$__range'], `${panel.title}: ${expr}`).toContain(range);
          }
        }
      }
    },
  );

  it.each(dashboards)(
    '$file: panels have unique ids and fit the grid without overlap',
    ({ json }) => {
      const ids = json.panels.map((panel: any) => panel.id);
      expect(new Set(ids).size).toBe(ids.length);
      const boxes = json.panels.map((panel: any) => panel.gridPos);
      boxes.forEach((a: any, i: number) => {
        expect(a.x + a.w).toBeLessThanOrEqual(24);
        for (const b of boxes.slice(i + 1)) {
          const apart =
            a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
          expect(apart, `${JSON.stringify(a)} overlaps ${JSON.stringify(b)}`).toBe(true);
        }
      });
    },
  );
});

describe('grafana/provisioning', () => {
  const read = (path: string) => parse(readFileSync(join(packageRoot, 'grafana', path), 'utf8'));

  it('provisions a Prometheus data source', () => {
    const { apiVersion, datasources } = read('provisioning/datasources/prometheus.yml');
    expect(apiVersion).toBe(1);
    expect(datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', access: 'proxy', url: expect.any(String) }),
    ]);
  });

  it('provisions the dashboards folder from the path the README mounts it at', () => {
    const { apiVersion, providers } = read('provisioning/dashboards/prebuild-controller.yml');
    expect(apiVersion).toBe(1);
    expect(providers).toEqual([
      expect.objectContaining({
        type: 'file',
        options: expect.objectContaining({
          path: '/etc/grafana/prebuild-controller/dashboards',
        }),
      }),
    ]);
    const readme = readFileSync(join(packageRoot, 'grafana', 'README.md'), 'utf8');
    expect(readme).toContain('/etc/grafana/prebuild-controller');
  });
});
