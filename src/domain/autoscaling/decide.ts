import { evaluateExpression, expressionVariables } from './expression/index.js';
import { decideForecast } from './forecast.js';
import { localClock, localHour } from './local-time.js';
import type {
  AutoscalingPolicy,
  AutoscalingSettings,
  ExpressionPolicy,
  TargetDecision,
  TargetInputs,
} from './types.js';

function scheduled(inputs: TargetInputs): TargetDecision {
  return {
    desired: inputs.scheduledTarget,
    scheduledTarget: inputs.scheduledTarget,
    source: 'scheduled',
    error: null,
    forecast: null,
  };
}

function expressionFallback(inputs: TargetInputs, error: string): TargetDecision {
  return {
    desired: inputs.scheduledTarget,
    scheduledTarget: inputs.scheduledTarget,
    source: 'expression_fallback',
    error,
    forecast: null,
  };
}

function decideExpression(
  policy: ExpressionPolicy,
  inputs: TargetInputs,
  now: Date,
  settings: AutoscalingSettings,
): TargetDecision {
  const clock = localClock(inputs.timezone);
  if (clock === null) {
    return expressionFallback(inputs, `unknown time zone "${inputs.timezone}"`);
  }
  const variables = expressionVariables(
    inputs.scheduledTarget,
    inputs.counts,
    inputs.demand,
    localHour(clock.localMs(now.getTime())),
  );
  const result = evaluateExpression(policy.expression, variables, settings.maxTarget);
  if (!result.ok) return expressionFallback(inputs, result.error);
  return {
    desired: result.value,
    scheduledTarget: inputs.scheduledTarget,
    source: 'expression',
    error: null,
    forecast: null,
  };
}

/**
 * A preset's desired pool size at `now`. Pure and total: it never throws, whatever the stored
 * policy or the inputs hold.
 * - no policy: the scheduled target (`scheduled`);
 * - an expression: its value, a whole number clamped to [0, maxTarget] (`expression`); any
 *   failure (invalid stored text, NaN, a fraction, an unknown zone) gives the scheduled target
 *   and the reason (`expression_fallback`);
 * - a forecast: the smallest pool that reaches the target hit rate under Erlang B, clamped to
 *   [min, max] and [0, maxTarget] (`forecast`); no recorded attempt yet, or unusable inputs,
 *   give the scheduled target and the reason (`forecast_fallback`).
 * `maxTarget` bounds what a policy decides; the scheduled target (no policy, or a fallback) is
 * passed through as it is, exactly as without autoscaling.
 */
export function decideTarget(
  policy: AutoscalingPolicy | null,
  inputs: TargetInputs,
  now: Date,
  settings: AutoscalingSettings,
): TargetDecision {
  if (policy === null) return scheduled(inputs);
  try {
    switch (policy.kind) {
      case 'expression':
        return decideExpression(policy, inputs, now, settings);
      case 'forecast':
        return decideForecast(policy, inputs, now, settings);
    }
  } catch (error) {
    const message = `autoscaling failed: ${error instanceof Error ? error.message : String(error)}`;
    const kind = (policy as { kind?: unknown }).kind;
    return kind === 'forecast'
      ? { ...scheduled(inputs), source: 'forecast_fallback', error: message }
      : { ...scheduled(inputs), source: 'expression_fallback', error: message };
  }
  return { ...scheduled(inputs), error: `unknown autoscaling policy kind` };
}
