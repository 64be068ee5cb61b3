import {
  type Dashboard,
  type DashboardSpec,
  DATASOURCE,
  type Panel,
  type PanelSpec,
  SCHEMA_VERSION,
  TAG,
  type Target,
} from './model.js';
import { refId } from './panels.js';

const GRID_WIDTH = 24;

function targets(spec: PanelSpec): Target[] {
  return spec.queries.map((query, index) => ({
    refId: refId(index),
    datasource: DATASOURCE,
    expr: query.expr,
    legendFormat: query.legend ?? '__auto',
    range: !query.instant,
    instant: query.instant ?? false,
    format: query.table ? 'table' : 'time_series',
  }));
}

/**
 * Places the sections top to bottom: a row header, then its panels left to right, wrapping at
 * the grid's 24 columns. Panel ids are numbered in that order, so they are stable as long as
 * the definition does not change.
 */
function layout(spec: DashboardSpec): Panel[] {
  const panels: Panel[] = [];
  let id = 1;
  let y = 0;
  for (const section of spec.sections) {
    panels.push({
      id: id++,
      type: 'row',
      title: section.title,
      collapsed: false,
      panels: [],
      gridPos: { x: 0, y, w: GRID_WIDTH, h: 1 },
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const panel of section.panels) {
      if (panel.width > GRID_WIDTH) throw new Error(`${panel.title}: wider than the grid`);
      if (x + panel.width > GRID_WIDTH) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      panels.push({
        id: id++,
        type: panel.type,
        title: panel.title,
        description: panel.description,
        gridPos: { x, y, w: panel.width, h: panel.height },
        datasource: DATASOURCE,
        targets: targets(panel),
        fieldConfig: panel.fieldConfig,
        options: panel.options,
        ...(panel.transformations ? { transformations: panel.transformations } : {}),
        ...(panel.repeat
          ? {
              repeat: panel.repeat.variable,
              repeatDirection: 'h' as const,
              maxPerRow: panel.repeat.maxPerRow,
            }
          : {}),
      });
      x += panel.width;
      rowHeight = Math.max(rowHeight, panel.height);
    }
    y += rowHeight;
  }
  return panels;
}

function requires(panels: readonly Panel[]): unknown[] {
  const types = [...new Set(panels.map((panel) => panel.type).filter((type) => type !== 'row'))];
  return [
    { type: 'grafana', id: 'grafana', name: 'Grafana', version: '12.0.0' },
    { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
    ...types.sort().map((type) => ({ type: 'panel', id: type, name: type, version: '' })),
  ];
}

export function assemble(spec: DashboardSpec): Dashboard {
  const panels = layout(spec);
  return {
    __requires: requires(panels),
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description: spec.description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [
      {
        type: 'dashboards',
        title: 'Prebuild controller',
        tags: [TAG],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    panels,
    refresh: '1m',
    schemaVersion: SCHEMA_VERSION,
    tags: [TAG],
    templating: { list: spec.variables },
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    title: spec.title,
    uid: spec.uid,
    version: 1,
  };
}
