import { describe, expect, it } from 'vitest';

import {
  type PresetPolicy,
  runSimulations,
  simulationJsonText,
  simulationSvg,
  simulationText,
} from '../../../src/autoscaling/simulate/index.js';
import { DEFAULT_AUTOSCALING_SETTINGS } from '../../../src/domain/autoscaling/index.js';

const FROM = Date.parse('2026-11-23T00:00:00Z');
const MIN = 60_000;
const demand = {
  attempts: [FROM + MIN, FROM + 2 * MIN, FROM + 3 * 3_600_000],
  span: { from: FROM, to: FROM + 4 * 3_600_000 },
  measuredLeadTimeMs: null,
};
const preset = (policy: PresetPolicy['policy'], source: string): PresetPolicy => ({
  preset: 'p<&>',
  source,
  policy,
  schedule: { instances: 1, timezone: '', schedules: [] },
});
const options = { reconcileIntervalMs: 15_000, settings: DEFAULT_AUTOSCALING_SETTINGS };

describe('simulation outputs', () => {
  const reports = runSimulations(
    demand,
    [
      preset(null, 'a.yaml'),
      preset(
        {
          kind: 'forecast',
          targetHitRate: 0.9,
          min: null,
          max: 5,
          historyMs: 86_400_000,
          leadTimeMs: 300_000,
        },
        'b.yaml',
      ),
    ],
    options,
  );

  it('uses the demand span, the settings lead time, and the same demand for both', () => {
    const [a, b] = reports;
    expect(a?.result).toMatchObject({ from: FROM, to: FROM + 4 * 3_600_000, leadTimeMs: 120_000 });
    expect(b?.result.attempts).toBe(3);
  });

  it('writes the policy in the config shape', () => {
    const { a, b } = JSON.parse(simulationJsonText(reports));
    expect(a.policy).toBeNull();
    expect(b.policy).toEqual({
      forecast: { target_hit_rate: 0.9, min: null, max: 5, history: '1d', lead_time: '5m' },
    });
    expect(JSON.parse(simulationJsonText(reports.slice(0, 1))).preset).toBe('p<&>');
  });

  it('tells both policies apart in the text, with the difference', () => {
    const text = simulationText(reports);
    expect(text).toContain('a: preset p<&> from a.yaml');
    expect(text).toContain('b: preset p<&> from b.yaml');
    expect(text).toContain('policy: none (instances and schedules)');
    expect(text).toContain(
      'policy: forecast for a 90% hit rate, min the scheduled target, max 5, history 1d, lead time 5m',
    );
    expect(text).toMatch(/^b - a: misses [+-]?\d+/m);
  });

  it('draws well-formed SVG with escaped text', () => {
    const svg = simulationSvg(reports);
    expect(svg).toContain('preset p&#60;&#38;&#62;: demand');
    expect(svg).not.toContain('NaN');
    expect(svg.match(/<svg /g)).toHaveLength(1);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('stroke-dasharray');
  });

  it('refuses a demand without attempts unless given a range', () => {
    const empty = { attempts: [], span: null, measuredLeadTimeMs: null };
    expect(() => runSimulations(empty, [preset(null, 'a')], options)).toThrow(
      /give the range with --from and --to/,
    );
    const [report] = runSimulations(empty, [preset(null, 'a')], {
      ...options,
      from: FROM,
      to: FROM + 3_600_000,
    });
    expect(report?.result.prebuildHours).toBeCloseTo(1, 9);
    expect(() =>
      runSimulations(empty, [preset(null, 'a')], {
        ...options,
        from: FROM,
        to: FROM + 400 * 86_400_000,
      }),
    ).toThrow(/longer than 366 days/);
  });
});
