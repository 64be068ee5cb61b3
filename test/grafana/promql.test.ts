import { describe, expect, it } from 'vitest';

import { parseExposition } from './exposition.js';
import { histogramOf, promqlRefs } from './promql.js';

describe('promqlRefs: what a PromQL expression reads', () => {
  const cases: [string, ReturnType<typeof promqlRefs>][] = [
    ['up', { selectors: [{ metric: 'up', labels: [] }], grouping: [] }],
    [
      'max by (template_name, preset_name) (coderd_prebuilt_workspaces_desired{job=~"$job"}) or vector(0)',
      {
        selectors: [{ metric: 'coderd_prebuilt_workspaces_desired', labels: ['job'] }],
        grouping: ['template_name', 'preset_name'],
      },
    ],
    [
      'histogram_quantile(0.95, sum by (le) (rate(x_seconds_bucket{a="1", b!~"2,}"}[$__rate_interval])))',
      { selectors: [{ metric: 'x_seconds_bucket', labels: ['a', 'b'] }], grouping: ['le'] },
    ],
    [
      'sum(rate(a_total[5m])) * 60 / 1e3 > 0.5 unless on (job) b_total offset 1h30m',
      {
        selectors: [
          { metric: 'a_total', labels: [] },
          { metric: 'b_total', labels: [] },
        ],
        grouping: ['job'],
      },
    ],
    [
      'time() - max without (instance) (last_updated) > bool 300 and {__name__="c", k="v"}',
      {
        selectors: [
          { metric: 'last_updated', labels: [] },
          { metric: 'c', labels: ['k'] },
        ],
        grouping: ['instance'],
      },
    ],
    [
      // A comment, a subquery and group_left.
      'a * on (x) group_left (y) max_over_time(b[15m:1m]) # trailing comment',
      {
        selectors: [
          { metric: 'a', labels: [] },
          { metric: 'b', labels: [] },
        ],
        grouping: ['x', 'y'],
      },
    ],
  ];
  it.each(cases)('%s', (expr, expected) => {
    expect(promqlRefs(expr)).toEqual(expected);
  });

  it.each([
    ['{job="x"}', /without a metric name/],
    ['a{job}', /bad matcher/],
    ['a{job="x"', /unclosed selector/],
    ['a ¤ b', /cannot read PromQL/],
  ])('rejects %s', (expr, error) => {
    expect(() => promqlRefs(expr)).toThrow(error);
  });

  it('maps histogram series to their histogram', () => {
    expect(histogramOf('x_seconds_bucket')).toBe('x_seconds');
    expect(histogramOf('x_seconds_count')).toBe('x_seconds');
    expect(histogramOf('x_total')).toBeUndefined();
  });
});

describe('parseExposition', () => {
  it('groups samples by family, histogram samples under their histogram', () => {
    const families = parseExposition(
      [
        '# HELP a_total Things.',
        '# TYPE a_total counter',
        'a_total{kind="x",note="a \\"quoted\\" value, with a comma"} 3',
        '# HELP h_seconds Durations.',
        '# TYPE h_seconds histogram',
        'h_seconds_bucket{le="1"} 2',
        'h_seconds_bucket{le="+Inf"} 2',
        'h_seconds_sum 0.5',
        'h_seconds_count 2',
      ].join('\n'),
    );
    expect(families.get('a_total')).toEqual({
      name: 'a_total',
      type: 'counter',
      help: 'Things.',
      samples: [
        {
          series: 'a_total',
          labels: { kind: 'x', note: 'a \\"quoted\\" value, with a comma' },
        },
      ],
    });
    expect(families.get('h_seconds')?.type).toBe('histogram');
    expect(families.get('h_seconds')?.samples.map((s) => s.series)).toEqual([
      'h_seconds_bucket',
      'h_seconds_bucket',
      'h_seconds_sum',
      'h_seconds_count',
    ]);
  });
});
