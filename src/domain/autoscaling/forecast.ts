import { MINUTE } from '../time/zone.js';
import { recentRatePerMinute, historyProblem, profileRatePerMinute } from './demand-rate.js';
import { hitRate, poolSizeFor } from './erlang.js';
import { localClock } from './local-time.js';
import type {
  AutoscalingSettings,
  ForecastDetail,
  ForecastPolicy,
  TargetDecision,
  TargetInputs,
} from './types.js';

export interface LeadTime {
  readonly ms: number;
  readonly source: ForecastDetail['leadTimeSource'];
}

/** The policy's `lead_time` when set; else (`auto`) the measured one; else the default. */
export function resolveLeadTime(
  policy: ForecastPolicy,
  measuredMs: number | null,
  settings: AutoscalingSettings,
): LeadTime {
  if (policy.leadTimeMs !== null) return { ms: policy.leadTimeMs, source: 'configured' };
  if (measuredMs !== null && Number.isFinite(measuredMs) && measuredMs >= 0) {
    return { ms: measuredMs, source: 'measured' };
  }
  return { ms: settings.defaultLeadTimeMs, source: 'default' };
}

function forecastDetail(lambdaPerMinute: number, lead: LeadTime, desired: number): ForecastDetail {
  return {
    lambdaPerMinute,
    leadTimeMs: lead.ms,
    leadTimeSource: lead.source,
    expectedHitRate: hitRate(desired, (lambdaPerMinute * lead.ms) / MINUTE),
  };
}

function fallback(
  inputs: TargetInputs,
  error: string,
  forecast: ForecastDetail | null,
): TargetDecision {
  return {
    desired: inputs.scheduledTarget,
    scheduledTarget: inputs.scheduledTarget,
    source: 'forecast_fallback',
    error,
    forecast,
  };
}

/**
 * A forecast policy's decision: the smallest pool S with 1 - B(S, lambda * L) >= target hit
 * rate, clamped to [min, max] (min null = the scheduled target) and to the controller's maximum.
 * Without any recorded attempt the scheduled target applies (`forecast_fallback`).
 */
export function decideForecast(
  policy: ForecastPolicy,
  inputs: TargetInputs,
  now: Date,
  settings: AutoscalingSettings,
): TargetDecision {
  const lead = resolveLeadTime(policy, inputs.measuredLeadTimeMs, settings);
  const recent = recentRatePerMinute(inputs.demand);
  const clock = localClock(inputs.timezone);
  if (clock === null) return fallback(inputs, `unknown time zone "${inputs.timezone}"`, null);
  const { history } = inputs;
  if (history === null) return fallback(inputs, 'the demand history was not loaded', null);
  const problem = historyProblem(history);
  if (problem !== null) return fallback(inputs, problem, null);
  if (history.since === null) {
    return fallback(
      inputs,
      'no claim attempt recorded yet: using the scheduled target',
      forecastDetail(recent, lead, inputs.scheduledTarget),
    );
  }

  const profile = profileRatePerMinute({
    history,
    clock,
    now: now.getTime(),
    leadTimeMs: lead.ms,
  });
  const lambda = Math.max(profile, recent);
  const load = (lambda * lead.ms) / MINUTE;
  const lo = policy.min ?? inputs.scheduledTarget;
  const hi = Math.min(policy.max, settings.maxTarget);
  const size = poolSizeFor(policy.targetHitRate, load, hi);
  const desired = Math.max(Math.min(Math.max(size, lo), hi), 0);
  return {
    desired,
    scheduledTarget: inputs.scheduledTarget,
    source: 'forecast',
    error: null,
    forecast: forecastDetail(lambda, lead, desired),
  };
}
