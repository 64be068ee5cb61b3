import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../../src/util/paths.js';

/** One panel query of a committed dashboard, with what Grafana would send for it. */
export interface DashboardQuery {
  readonly file: string;
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
  readonly legend: string;
  /** The expression with Grafana's variables replaced as Grafana does with "All" selected. */
  readonly resolved: string;
}

/** What Grafana substitutes before it sends a query: intervals become durations, filters regexes. */
export function substituteVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '.*');
}

interface Panel {
  readonly title: string;
  readonly targets?: readonly {
    readonly refId: string;
    readonly expr: string;
    readonly legendFormat: string;
  }[];
}

interface DashboardJson {
  readonly panels: readonly Panel[];
  readonly templating: {
    readonly list: readonly {
      readonly name: string;
      readonly type: string;
      readonly query: unknown;
    }[];
  };
}

export const dashboardsDir = join(packageRoot, 'grafana', 'dashboards');

/** The committed dashboards by file name, in file name order. */
export function committedDashboards(): [string, DashboardJson][] {
  return readdirSync(dashboardsDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => [
      file,
      JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as DashboardJson,
    ]);
}

/** The `label_values(...)` queries of the dashboards' query variables. */
export function variableQueries(): { file: string; name: string; query: string }[] {
  return committedDashboards().flatMap(([file, { templating }]) =>
    templating.list
      .filter((variable) => variable.type === 'query')
      .map((variable) => ({ file, name: variable.name, query: String(variable.query) })),
  );
}

/** Every query of every dashboard under grafana/dashboards/, in file and panel order. */
export function dashboardQueries(): DashboardQuery[] {
  return committedDashboards().flatMap(([file, { panels }]) =>
    panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        file,
        panel: panel.title,
        refId: target.refId,
        expr: target.expr,
        legend: target.legendFormat,
        resolved: substituteVariables(target.expr),
      })),
    ),
  );
}
