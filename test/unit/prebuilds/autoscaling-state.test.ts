import { describe, expect, it } from 'vitest';

import { actionsFromState } from '../../../src/domain/prebuilds/actions.js';
import { calculateState } from '../../../src/domain/prebuilds/state.js';
import type { AutoscalingInput, PresetSnapshot } from '../../../src/domain/prebuilds/types.js';
import {
  HOUR,
  MIN,
  NOW,
  options,
  PRESET_ID,
  presetSnapshot,
  running,
  type SnapshotInput,
  stubResolver,
} from './builders.js';

/** The pure decision with an autoscaling policy: `desired` is the policy's, over the schedule's. */

const windows = (claims10: number, claims30 = claims10) => ({
  claims: { 5: 0, 10: claims10, 30: claims30, 60: claims30, 120: claims30 },
  misses: { 5: 0, 10: 0, 30: 0, 60: 0, 120: 0 },
});

function withInput(input: SnapshotInput, autoscaling: Partial<AutoscalingInput>): PresetSnapshot {
  return {
    ...presetSnapshot(input),
    autoscaling: {
      presetId: PRESET_ID,
      demand: windows(0),
      history: null,
      measuredLeadTimeMs: null,
      ...autoscaling,
    },
  };
}

const expression = (text: string) => ({ kind: 'expression' as const, expression: text });

describe('autoscaling in the pass decision', () => {
  it('no policy: desired = scheduled target, source scheduled', () => {
    const state = calculateState(presetSnapshot(), NOW, options(), stubResolver);
    expect(state.target).toEqual({
      desired: 3,
      scheduledTarget: 3,
      source: 'scheduled',
      error: null,
      forecast: null,
    });
  });

  it('an expression over the claim windows sets desired and the create count', () => {
    const ps = withInput(
      { preset: { desiredInstances: 1, autoscaling: expression('min(claims_10m * 2, 20)') } },
      { demand: windows(3) },
    );
    const state = calculateState(ps, NOW, options(), stubResolver);
    expect(state).toMatchObject({
      desired: 6,
      missing: 6,
      target: { desired: 6, scheduledTarget: 1, source: 'expression', error: null },
    });
    expect(actionsFromState(ps, state, NOW, options())).toMatchObject([
      { type: 'create', count: 6 },
    ]);
  });

  it('pool counts are the variables: running excludes expired, eligible counts ready ones', () => {
    const ps = withInput(
      {
        preset: { autoscaling: expression('running * 10 + eligible'), ttlSecs: 3600 },
        running: [
          running('a', MIN),
          running('b', MIN, { ready: false }),
          running('old', 2 * HOUR), // expired by the TTL
        ],
      },
      {},
    );
    expect(calculateState(ps, NOW, options(), stubResolver).desired).toBe(21);
  });

  it('the settings clamp what a policy asks for', () => {
    const ps = withInput({ preset: { autoscaling: expression('500') } }, {});
    const state = calculateState(
      ps,
      NOW,
      options({ autoscaling: { maxTarget: 7, defaultLeadTimeMs: 120_000 } }),
      stubResolver,
    );
    expect(state.desired).toBe(7);
  });

  it('a run-time failure falls back to the scheduled target with the reason', () => {
    const ps = withInput(
      { preset: { desiredInstances: 2, autoscaling: expression('claims_10m / 0') } },
      { demand: windows(1) },
    );
    const state = calculateState(ps, NOW, options(), stubResolver);
    expect(state.desired).toBe(2);
    expect(state.target.source).toBe('expression_fallback');
    expect(state.target.error).toMatch(/infinit|finite|whole/i);
  });

  it('an unreadable stored policy falls back with its kind and reason', () => {
    const ps = presetSnapshot({
      preset: { autoscalingError: { kind: 'forecast', message: 'stored policy unreadable: x' } },
    });
    expect(calculateState(ps, NOW, options(), stubResolver).target).toMatchObject({
      desired: 3,
      source: 'forecast_fallback',
      error: 'stored policy unreadable: x',
    });
  });

  it('a forecast with demand sizes the pool by Erlang B and reports lambda, L, hit rate', () => {
    const policy = {
      kind: 'forecast' as const,
      targetHitRate: 0.9,
      min: 0,
      max: 30,
      historyMs: 7 * 24 * HOUR,
      leadTimeMs: null,
    };
    const ps = withInput(
      { preset: { desiredInstances: 0, autoscaling: policy } },
      {
        demand: windows(30, 60), // 2 attempts per minute over the last 30 minutes
        history: {
          attemptsByHourOfWeek: Array.from({ length: 168 }, () => 0),
          since: new Date(NOW.getTime() - 7 * 24 * HOUR),
        },
        measuredLeadTimeMs: 3 * MIN,
      },
    );
    const state = calculateState(ps, NOW, options(), stubResolver);
    expect(state.target.source).toBe('forecast');
    expect(state.target.forecast).toMatchObject({
      lambdaPerMinute: 2,
      leadTimeMs: 3 * MIN,
      leadTimeSource: 'measured',
    });
    // Offered load 6: the smallest S with 1 - B(S, 6) >= 0.9 is 9.
    expect(state.desired).toBe(9);
    expect(state.target.forecast?.expectedHitRate).toBeGreaterThanOrEqual(0.9);
  });

  it('a forecast without its inputs loaded falls back to the schedule', () => {
    const ps = presetSnapshot({
      preset: {
        autoscaling: {
          kind: 'forecast',
          targetHitRate: 0.9,
          min: null,
          max: 30,
          historyMs: HOUR,
          leadTimeMs: MIN,
        },
      },
    });
    expect(calculateState(ps, NOW, options(), stubResolver).target).toMatchObject({
      desired: 3,
      source: 'forecast_fallback',
    });
  });

  it('an inactive preset stays at 0 whatever the policy', () => {
    const ps = withInput(
      { preset: { usingActiveVersion: false, autoscaling: expression('10') } },
      {},
    );
    expect(calculateState(ps, NOW, options(), stubResolver).target).toMatchObject({
      desired: 0,
      source: 'scheduled',
    });
  });
});
