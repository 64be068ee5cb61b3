import { describe, expect, it } from 'vitest';

import { policyFromConfig } from '../../../src/templates/autoscaling-policy.js';
import { formatIssues } from '../../../src/templates/issues.js';
import { validateTemplateConfig } from '../../../src/templates/validate.js';

function config(prebuilds: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'dev-env',
    presets: [{ name: 'us-nix', prebuilds: { instances: 1, ...prebuilds } }],
  };
}

function problems(prebuilds: Record<string, unknown>): string[] {
  const result = validateTemplateConfig(config(prebuilds));
  return result.ok ? [] : formatIssues(result.issues);
}

function prebuildsOf(prebuilds: Record<string, unknown>) {
  const result = validateTemplateConfig(config(prebuilds));
  if (!result.ok) throw new Error(formatIssues(result.issues).join('\n'));
  return result.config.presets[0]?.prebuilds;
}

const P = 'presets[0].prebuilds.autoscaling';

describe('autoscaling config', () => {
  it('accepts an expression and maps it to a policy', () => {
    const expression = 'max(scheduled_target, ceil(claim_rate_30m * 8))';
    const prebuilds = prebuildsOf({ autoscaling: { expression } });
    expect(prebuilds?.autoscaling).toEqual({ expression });
    expect(policyFromConfig(prebuilds)).toEqual({ kind: 'expression', expression });
  });

  it('accepts a forecast, fills the defaults and normalises durations', () => {
    const prebuilds = prebuildsOf({
      autoscaling: { forecast: { target_hit_rate: 0.95, max: 30 } },
    });
    expect(prebuilds?.autoscaling).toEqual({
      forecast: { target_hit_rate: 0.95, max: 30, history: '28d', lead_time: 'auto' },
    });
    expect(policyFromConfig(prebuilds)).toEqual({
      kind: 'forecast',
      targetHitRate: 0.95,
      min: null,
      max: 30,
      historyMs: 28 * 86_400_000,
      leadTimeMs: null,
    });
    const full = prebuildsOf({
      autoscaling: {
        forecast: { target_hit_rate: 0.9, min: 0, max: 30, history: '4w', lead_time: '90s' },
      },
    });
    expect(full?.autoscaling?.forecast).toEqual({
      target_hit_rate: 0.9,
      min: 0,
      max: 30,
      history: '28d',
      lead_time: '1m30s',
    });
    expect(policyFromConfig(full)).toMatchObject({ min: 0, leadTimeMs: 90_000 });
  });

  it('has no policy without an autoscaling block', () => {
    expect(policyFromConfig(prebuildsOf({}))).toBeNull();
    expect(policyFromConfig(undefined)).toBeNull();
  });

  it.each([
    [
      { expression: 'claimz_10m * 2' },
      [`${P}.expression: unknown variable "claimz_10m" (did you mean "claims_10m"?)`],
    ],
    [
      { expression: 'min() + sqrt(2)' },
      [
        `${P}.expression: min takes at least 1 argument (min(a, b, ...)), got 0`,
        `${P}.expression: unknown function "sqrt"; functions: min, max, ceil, floor, abs, clamp`,
      ],
    ],
    [{ expression: 'max(1,' }, [expect.stringMatching(/^.*\.expression: syntax error at /)]],
    [{ expression: '' }, [expect.stringMatching(/\.expression: is empty/)]],
    [{ expression: 5 }, [`${P}.expression: expected text, got the number 5`]],
    [
      {},
      [
        `${P}: set one of "expression" (a Coder-compatible formula) or "forecast" (a target hit rate)`,
      ],
    ],
    [
      { expression: '1', forecast: { target_hit_rate: 0.9, max: 3 } },
      [`${P}: set only one of "expression" and "forecast"`],
    ],
    [{ formula: '1' }, [expect.stringMatching(/set one of/), `${P}.formula: unknown field`]],
    [{ forecast: { target_hit_rate: 0.9 } }, [`${P}.forecast.max: is required`]],
    [
      { forecast: { target_hit_rate: 1, max: 3 } },
      [`${P}.forecast.target_hit_rate: must be between 0 and 1, both excluded (e.g. 0.95)`],
    ],
    [
      { forecast: { target_hit_rate: 0, max: 3 } },
      [`${P}.forecast.target_hit_rate: must be between 0 and 1, both excluded (e.g. 0.95)`],
    ],
    [
      { forecast: { target_hit_rate: 0.9, max: 1001 } },
      [`${P}.forecast.max: must be at most 1000`],
    ],
    [
      { forecast: { target_hit_rate: 0.9, max: 2.5 } },
      [`${P}.forecast.max: expected a whole number, got the fraction 2.5`],
    ],
    [
      { forecast: { target_hit_rate: 0.9, min: 5, max: 3 } },
      [`${P}.forecast.min: must be at most max (3)`],
    ],
    [
      { forecast: { target_hit_rate: 0.9, max: 3, history: '30m' } },
      [`${P}.forecast.history: must be from 1h to 90d, got 30m`],
    ],
    [
      { forecast: { target_hit_rate: 0.9, max: 3, history: '100d' } },
      [`${P}.forecast.history: must be from 1h to 90d, got 100d`],
    ],
    [
      { forecast: { target_hit_rate: 0.9, max: 3, history: 'forever' } },
      [`${P}.forecast.history: must be a duration such as "7d", "28d" or "4w"`],
    ],
    [
      { forecast: { target_hit_rate: 0.9, max: 3, lead_time: 'soon' } },
      [`${P}.forecast.lead_time: must be "auto" or a duration such as "90s", "5m" or "1h"`],
    ],
    [
      { forecast: { target_hit_rate: 0.9, max: 3, lead_time: '2d' } },
      [`${P}.forecast.lead_time: must be from 1s to 1d, got 2d`],
    ],
    [
      { forecast: { target_hit_rate: 0.9, max: 3, lead_time: '500ms' } },
      [`${P}.forecast.lead_time: must be from 1s to 1d, got 500ms`],
    ],
    [
      { forecast: { target_hit_rate: 0.9, max: 3, extra: 1 } },
      [`${P}.forecast.extra: unknown field`],
    ],
  ])('%j is rejected with its path', (autoscaling, expected) => {
    expect(problems({ autoscaling })).toEqual(expected);
  });

  it('rejects a max below the schedules when they are the floor', () => {
    expect(
      problems({
        instances: 0,
        scheduling: {
          timezone: 'UTC',
          schedule: [
            { cron: '* 8-18 * * 1-5', instances: 3 },
            { cron: '* 8-14 * * 6', instances: 5 },
          ],
        },
        autoscaling: { forecast: { target_hit_rate: 0.9, max: 4 } },
      }),
    ).toEqual([
      `${P}.forecast.max: 4 is below the pool size 5 of prebuilds.scheduling.schedule[1].instances; without min the scheduled size is the floor: raise max or set min`,
    ]);
    expect(
      problems({
        instances: 6,
        autoscaling: { forecast: { target_hit_rate: 0.9, min: 0, max: 4 } },
      }),
    ).toEqual([]);
  });

  it('reports autoscaling problems along with the others', () => {
    const result = validateTemplateConfig({
      name: 'dev-env',
      presets: [
        { name: 'a', prebuilds: { instances: -1, autoscaling: { expression: 'nope' } } },
        { name: 'b', prebuilds: { instances: 1, autoscaling: { expression: 'eligible' } } },
      ],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(formatIssues(result.issues)).toEqual([
        'presets[0].prebuilds.instances: must be at least 0',
        'presets[0].prebuilds.autoscaling.expression: unknown variable "nope"',
      ]);
    }
  });
});
