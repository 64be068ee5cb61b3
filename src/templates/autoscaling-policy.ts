import type { AutoscalingPolicy } from '../domain/autoscaling/types.js';
import { parseDuration } from '../util/duration.js';
import { DEFAULT_HISTORY } from './autoscaling-schema.js';
import type { PrebuildsConfig } from './config-schema.js';

function durationMs(text: string, field: string): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new Error(`autoscaling.forecast.${field}: "${text}" is not a duration`);
  return ms;
}

/**
 * The autoscaling policy of a preset's validated (normalised) `prebuilds` block, or null when it
 * has none (the pool follows instances and schedules). Pure. What it returns is plain JSON, so
 * the edges can store it as it is (e.g. a jsonb column) and read it back.
 * @throws Error only for a block that did not pass validation (a duration that is not one).
 */
export function policyFromConfig(prebuilds: PrebuildsConfig | undefined): AutoscalingPolicy | null {
  const autoscaling = prebuilds?.autoscaling;
  if (!autoscaling) return null;
  if (autoscaling.expression !== undefined) {
    return { kind: 'expression', expression: autoscaling.expression };
  }
  const forecast = autoscaling.forecast;
  if (!forecast) return null;
  return {
    kind: 'forecast',
    targetHitRate: forecast.target_hit_rate,
    min: forecast.min ?? null,
    max: forecast.max,
    historyMs: durationMs(forecast.history ?? DEFAULT_HISTORY, 'history'),
    leadTimeMs:
      forecast.lead_time === undefined || forecast.lead_time === 'auto'
        ? null
        : durationMs(forecast.lead_time, 'lead_time'),
  };
}
