import { DATASOURCE, type Variable } from './model.js';

/** The Prometheus data source the panels query (picked in the dashboard's variable bar). */
export const datasourceVariable: Variable = {
  type: 'datasource',
  name: 'datasource',
  label: 'Data source',
  query: 'prometheus',
  current: {},
  hide: 0,
  includeAll: false,
  multi: false,
  options: [],
  refresh: 1,
  regex: '',
  skipUrlSync: false,
};

/**
 * A multi-value label filter filled from `label_values(<source>, <label>)`; "All" matches any
 * value, so `label=~"$name"` works in every query.
 */
export function labelVariable(name: string, label: string, source: string): Variable {
  const query = `label_values(${source}, ${label})`;
  return {
    type: 'query',
    name,
    label: name.charAt(0).toUpperCase() + name.slice(1),
    datasource: DATASOURCE,
    query,
    definition: query,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    includeAll: true,
    allValue: '.*',
    multi: true,
    hide: 0,
    options: [],
    refresh: 2,
    regex: '',
    skipUrlSync: false,
    sort: 1,
  };
}

/** `job` and `instance`: which controller deployment and which replicas. */
export function targetVariables(source: string): Variable[] {
  return [
    labelVariable('job', 'job', source),
    labelVariable('instance', 'instance', `${source}{job=~"$job"}`),
  ];
}

/** The matchers every query carries for the `job` and `instance` variables. */
export const TARGET = 'job=~"$job", instance=~"$instance"';

/** `metric{matchers}` with the target matchers first. */
export function selector(metric: string, ...matchers: string[]): string {
  return `${metric}{${[TARGET, ...matchers].join(', ')}}`;
}

/**
 * `histogram_quantile(q, ...)` over a histogram's buckets, summed across replicas by `by`
 * (plus `le`), over `window`.
 */
export function quantile(
  q: number,
  histogram: string,
  matchers: readonly string[],
  by: readonly string[] = [],
  window = '$__rate_interval',
): string {
  const keys = ['le', ...by].join(', ');
  return `histogram_quantile(${q}, sum by (${keys}) (rate(${selector(`${histogram}_bucket`, ...matchers)}[${window}])))`;
}

/** Mean of a histogram over `window`: rate of its sum over rate of its count. */
export function mean(histogram: string, matchers: readonly string[], window = '$__rate_interval') {
  return `sum(rate(${selector(`${histogram}_sum`, ...matchers)}[${window}])) / sum(rate(${selector(`${histogram}_count`, ...matchers)}[${window}]))`;
}
