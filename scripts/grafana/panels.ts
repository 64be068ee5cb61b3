import type { PanelSpec, Query } from './model.js';

/** Grafana unit ids used by our panels. */
export type Unit = 'short' | 's' | 'opm' | 'percent' | 'none' | 'bytes' | 'reqps';

interface Common {
  readonly title: string;
  readonly description: string;
  readonly width: number;
  readonly height?: number;
  readonly unit?: Unit;
}

export interface Threshold {
  readonly color: string;
  readonly value: number | null;
}

/** Green, and `color` from `from` up: a count that should stay at zero. */
export function alertAbove(from: number, color = 'red'): Threshold[] {
  return [
    { color: 'green', value: null },
    { color, value: from },
  ];
}

/** One number (the last value of one query), coloured by `thresholds`. */
export function stat(
  spec: Common & {
    readonly query: Query;
    readonly thresholds?: readonly Threshold[];
    readonly mappings?: readonly unknown[];
  },
): PanelSpec {
  return {
    type: 'stat',
    title: spec.title,
    description: spec.description,
    width: spec.width,
    height: spec.height ?? 4,
    queries: [{ instant: true, ...spec.query }],
    fieldConfig: {
      defaults: {
        unit: spec.unit ?? 'short',
        decimals: spec.unit === 's' || spec.unit === 'percent' ? 1 : 0,
        color: { mode: 'thresholds' },
        thresholds: {
          mode: 'absolute',
          steps: spec.thresholds ?? [{ color: 'green', value: null }],
        },
        mappings: spec.mappings ?? [],
      },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'none',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'auto',
      wideLayout: true,
      showPercentChange: false,
    },
  };
}

/** Series over time; `bars` for per-interval increases, `dashed` legends drawn dashed. */
export function timeseries(
  spec: Common & {
    readonly queries: readonly Query[];
    readonly bars?: boolean;
    readonly stacked?: boolean;
    readonly dashed?: readonly string[];
    readonly repeat?: PanelSpec['repeat'];
  },
): PanelSpec {
  const dashed = (spec.dashed ?? []).map((name) => ({
    matcher: { id: 'byRegex', options: name },
    properties: [
      { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
      { id: 'custom.fillOpacity', value: 0 },
    ],
  }));
  return {
    type: 'timeseries',
    title: spec.title,
    description: spec.description,
    width: spec.width,
    height: spec.height ?? 8,
    queries: spec.queries,
    fieldConfig: {
      defaults: {
        unit: spec.unit ?? 'short',
        min: 0,
        color: { mode: 'palette-classic' },
        custom: {
          drawStyle: spec.bars ? 'bars' : 'line',
          lineWidth: 1,
          fillOpacity: spec.bars ? 80 : 10,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: spec.stacked ? 'normal' : 'none', group: 'A' },
        },
      },
      overrides: dashed,
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    ...(spec.repeat ? { repeat: spec.repeat } : {}),
  };
}

/**
 * One row per series key, one column per query: each query is an instant table query whose
 * value column Grafana names `Value #<refId>`; `columns` renames them in query order.
 */
export function table(
  spec: Common & {
    readonly queries: readonly Query[];
    readonly columns: readonly string[];
    readonly keys: readonly string[];
  },
): PanelSpec {
  const renames: Record<string, string> = {};
  const order: Record<string, number> = {};
  spec.keys.forEach((key, index) => (order[key] = index));
  spec.columns.forEach((column, index) => {
    const value = `Value #${refId(index)}`;
    renames[value] = column;
    order[value] = spec.keys.length + index;
  });
  return {
    type: 'table',
    title: spec.title,
    description: spec.description,
    width: spec.width,
    height: spec.height ?? 8,
    queries: spec.queries.map((query) => ({ ...query, instant: true, table: true })),
    fieldConfig: {
      defaults: { unit: spec.unit ?? 'short', custom: { align: 'auto' } },
      overrides: [],
    },
    options: { showHeader: true, cellHeight: 'sm', footer: { show: false } },
    transformations: [
      { id: 'merge', options: {} },
      {
        id: 'organize',
        options: { excludeByName: { Time: true }, indexByName: order, renameByName: renames },
      },
    ],
  };
}

/** Query letters A, B, ... as Grafana assigns them. */
export function refId(index: number): string {
  return String.fromCharCode('A'.charCodeAt(0) + index);
}
