import { describe, expect, it } from 'vitest';

import {
  type AutoscalingPolicy,
  decideTarget,
  DEFAULT_AUTOSCALING_SETTINGS,
} from '../../../src/domain/autoscaling/index.js';
import { inputs, windows } from './fixtures.js';

const NOW = new Date('2026-11-23T10:00:00Z'); // a Monday
const SETTINGS = DEFAULT_AUTOSCALING_SETTINGS;
const expression = (text: string): AutoscalingPolicy => ({ kind: 'expression', expression: text });

describe('decideTarget', () => {
  it('without a policy is the scheduled target, as it is', () => {
    expect(decideTarget(null, inputs({ scheduledTarget: 250 }), NOW, SETTINGS)).toEqual({
      desired: 250,
      scheduledTarget: 250,
      source: 'scheduled',
      error: null,
      forecast: null,
    });
  });

  it('evaluates an expression with the inputs', () => {
    const decision = decideTarget(
      expression('max(scheduled_target, ceil(claim_rate_30m * 8))'),
      inputs({ scheduledTarget: 1, demand: windows({ 30: 15 }) }),
      NOW,
      SETTINGS,
    );
    expect(decision).toEqual({
      desired: 4,
      scheduledTarget: 1,
      source: 'expression',
      error: null,
      forecast: null,
    });
  });

  it('reads the pool counts', () => {
    const counts = { running: 5, eligible: 3, starting: 2, stopping: 1, deleting: 1, expired: 1 };
    const decision = decideTarget(
      expression('running + eligible + starting + stopping + deleting + expired'),
      inputs({ counts }),
      NOW,
      SETTINGS,
    );
    expect(decision.desired).toBe(13);
  });

  it('computes hour and weekday in the preset time zone (UTC without one)', () => {
    const at = (timezone: string, text: string) =>
      decideTarget(expression(text), inputs({ timezone }), NOW, SETTINGS).desired;
    expect(at('', 'hour')).toBe(10);
    expect(at('', 'weekday')).toBe(1);
    expect(at('Europe/Berlin', 'hour')).toBe(11);
    expect(at('Pacific/Kiritimati', 'hour')).toBe(0); // UTC+14: already Tuesday
    expect(at('Pacific/Kiritimati', 'weekday')).toBe(2);
    expect(at('America/Los_Angeles', 'hour')).toBe(2);
    expect(at('Asia/Kathmandu', 'hour')).toBe(15); // UTC+5:45 -> 15:45
  });

  it('clamps an expression to the controller maximum', () => {
    const decision = decideTarget(expression('1000'), inputs(), NOW, {
      ...SETTINGS,
      maxTarget: 40,
    });
    expect(decision).toMatchObject({ desired: 40, source: 'expression' });
  });

  it.each([
    ['claim_rate_10m', /not a whole number/],
    ['claimz_10m', /^invalid expression: unknown variable "claimz_10m"/],
    ['1 / 0', /Infinity/],
    ['clamp(1, eligible + 5, 2)', /clamp: the lower bound 5 is above the upper bound 2/],
  ])('falls back to the scheduled target when %s fails', (text, error) => {
    const decision = decideTarget(
      expression(text),
      inputs({ scheduledTarget: 3, demand: windows({ 10: 3 }) }),
      NOW,
      SETTINGS,
    );
    expect(decision).toMatchObject({ desired: 3, source: 'expression_fallback', forecast: null });
    expect(decision.error).toMatch(error);
  });

  it('falls back on an unknown time zone', () => {
    expect(
      decideTarget(expression('1'), inputs({ timezone: 'Nowhere/Else' }), NOW, SETTINGS),
    ).toMatchObject({
      desired: 2,
      source: 'expression_fallback',
      error: 'unknown time zone "Nowhere/Else"',
    });
  });

  it('never throws on a malformed stored policy', () => {
    const garbage = [
      { kind: 'expression', expression: 42 },
      { kind: 'forecast' },
      { kind: 'forecast', targetHitRate: 0.9, min: null, max: 5, historyMs: 1, leadTimeMs: -5 },
      { kind: 'other' },
    ] as unknown as AutoscalingPolicy[];
    for (const policy of garbage) {
      const decision = decideTarget(policy, inputs({ scheduledTarget: 2 }), NOW, SETTINGS);
      expect(decision.desired).toBe(2);
      expect(decision.error).not.toBeNull();
    }
  });
});
