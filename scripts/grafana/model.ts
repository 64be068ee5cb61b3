/**
 * A small typed model of the Grafana dashboard JSON we generate (classic JSON model, the one
 * Grafana 11/12 import and provision). Only the fields our dashboards use; Grafana fills in the
 * rest with its defaults when it loads them.
 */

/** The dashboard schema version of current Grafana (13.x); Grafana migrates older ones on load. */
export const SCHEMA_VERSION = 42;

/** Every panel and query reads from the dashboard's `datasource` variable. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
export type DatasourceRef = typeof DATASOURCE;

/** The tag all our dashboards carry; the dashboard links menu lists them by it. */
export const TAG = 'prebuild-controller';

export interface Target {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: boolean;
  readonly instant: boolean;
  readonly format: 'time_series' | 'table';
}

export interface GridPos {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly gridPos: GridPos;
  readonly datasource?: DatasourceRef;
  readonly targets?: readonly Target[];
  readonly fieldConfig?: unknown;
  readonly options?: unknown;
  readonly transformations?: readonly unknown[];
  readonly collapsed?: boolean;
  readonly panels?: readonly Panel[];
  readonly repeat?: string;
  readonly repeatDirection?: 'h' | 'v';
  readonly maxPerRow?: number;
}

export interface Variable {
  readonly type: 'datasource' | 'query';
  readonly name: string;
  readonly label: string;
  readonly [key: string]: unknown;
}

export interface Dashboard {
  readonly __requires: readonly unknown[];
  readonly annotations: unknown;
  readonly description: string;
  readonly editable: boolean;
  readonly fiscalYearStartMonth: number;
  readonly graphTooltip: number;
  readonly id: null;
  readonly links: readonly unknown[];
  readonly panels: readonly Panel[];
  readonly refresh: string;
  readonly schemaVersion: number;
  readonly tags: readonly string[];
  readonly templating: { readonly list: readonly Variable[] };
  readonly time: { readonly from: string; readonly to: string };
  readonly timepicker: Record<string, never>;
  readonly timezone: string;
  readonly title: string;
  readonly uid: string;
  readonly version: number;
}

/** A query as written in a dashboard definition (the refId and datasource are filled in). */
export interface Query {
  readonly expr: string;
  readonly legend?: string;
  /** Instant query (stats and tables): the value at the end of the range. */
  readonly instant?: boolean;
  readonly table?: boolean;
}

/** A panel as written in a dashboard definition: `layout` places it and numbers it. */
export interface PanelSpec {
  readonly type: 'stat' | 'timeseries' | 'table';
  readonly title: string;
  readonly description: string;
  readonly width: number;
  readonly height: number;
  readonly queries: readonly Query[];
  readonly fieldConfig: unknown;
  readonly options: unknown;
  readonly transformations?: readonly unknown[];
  readonly repeat?: { readonly variable: string; readonly maxPerRow: number };
}

export interface Section {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly variables: readonly Variable[];
  readonly sections: readonly Section[];
}
