import { z } from 'zod/v4';

import {
  FUNCTION_NAMES,
  MAX_EXPRESSION_LENGTH,
  validateExpression,
  VARIABLE_NAMES,
} from '../domain/autoscaling/index.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { poolSize } from './pool-size.js';

/**
 * `presets[].prebuilds.autoscaling`: exactly one of `expression` (Coder-compatible) and
 * `forecast` (size for a target hit rate). "Exactly one" and the checks between fields (min <=
 * max, max not below the schedules when min is absent) are in validate.ts, on the raw input.
 */

export const HISTORY_MIN_MS = 3_600_000;
export const HISTORY_MAX_MS = 90 * 86_400_000;
export const LEAD_TIME_MIN_MS = 1_000;
export const LEAD_TIME_MAX_MS = 86_400_000;
export const DEFAULT_HISTORY = '28d';

const HIT_RATE_RULE = 'must be between 0 and 1, both excluded (e.g. 0.95)';
const DURATION_PART = '(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+';
const DURATION = new RegExp(`^${DURATION_PART}$`);
const LEAD_TIME = new RegExp(`^(auto|${DURATION_PART})$`);

/** Adds an issue when the duration text is outside [min, max]. */
const within = (min: number, max: number) => (text: string, ctx: z.RefinementCtx) => {
  const ms = text === 'auto' ? undefined : parseDuration(text);
  if (ms !== undefined && (ms < min || ms > max)) {
    ctx.addIssue({
      code: 'custom',
      message: `must be from ${formatDuration(min)} to ${formatDuration(max)}, got ${formatDuration(ms)}`,
    });
  }
};

export const ExpressionSchema = z
  .string()
  .superRefine((text, ctx) => {
    for (const message of validateExpression(text)) ctx.addIssue({ code: 'custom', message });
  })
  .meta({
    description: `Coder-compatible expression for the pool size, evaluated every pass; at most ${MAX_EXPRESSION_LENGTH} characters. Variables: ${VARIABLE_NAMES.join(', ')}. Functions: ${FUNCTION_NAMES.join(', ')}. Operators: + - * / and parentheses. The value must be a whole number; it is clamped to [0, PREBUILD_CONTROLLER_AUTOSCALING_MAX_TARGET].`,
    examples: ['max(scheduled_target, ceil(claim_rate_30m * 8))', 'clamp(claims_10m * 5, 1, 15)'],
  });

export const ForecastSchema = z
  .strictObject({
    target_hit_rate: z
      .number()
      .gt(0, HIT_RATE_RULE)
      .lt(1, HIT_RATE_RULE)
      .meta({
        description: 'wanted share of claims that find a ready prebuild, between 0 and 1 excluded',
        examples: [0.95],
      }),
    min: poolSize(
      'smallest pool; absent = the scheduled target (instances/schedules are a floor)',
    ).optional(),
    max: poolSize('largest pool the forecast may ask for (required: the cost cap)'),
    history: z
      .string()
      .regex(DURATION, 'must be a duration such as "7d", "28d" or "4w"')
      .superRefine(within(HISTORY_MIN_MS, HISTORY_MAX_MS))
      .default(DEFAULT_HISTORY)
      .meta({ description: 'how far back the hour-of-week demand profile looks (1h..90d)' }),
    lead_time: z
      .string()
      .regex(LEAD_TIME, 'must be "auto" or a duration such as "90s", "5m" or "1h"')
      .superRefine(within(LEAD_TIME_MIN_MS, LEAD_TIME_MAX_MS))
      .default('auto')
      .meta({
        description:
          'time from a prebuild creation job start to eligible: "auto" = measured (a high quantile of recent prebuilds; 2 minutes until enough are measured) or a duration (1s..24h)',
      }),
  })
  .meta({
    description:
      'size the pool for a target hit rate: the smallest pool S with 1 - ErlangB(S, lambda * lead_time) >= target_hit_rate, clamped to [min, max]',
  });

export const AutoscalingSchema = z
  .strictObject({
    expression: ExpressionSchema.optional(),
    forecast: ForecastSchema.optional(),
  })
  .meta({
    description:
      'demand-aware pool size: exactly one of expression and forecast (see docs/autoscaling.md)',
    oneOf: [{ required: ['expression'] }, { required: ['forecast'] }],
  });

export type AutoscalingConfig = z.output<typeof AutoscalingSchema>;
export type ForecastConfig = z.output<typeof ForecastSchema>;
