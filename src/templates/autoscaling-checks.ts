import type { RawIssue } from './issues.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** The largest pool size the schedules can ask for, and where it is set. */
function largestScheduled(
  prebuilds: Record<string, unknown>,
): { size: number; path: string } | null {
  let best: { size: number; path: string } | null = isCount(prebuilds.instances)
    ? { size: prebuilds.instances, path: 'instances' }
    : null;
  const scheduling = prebuilds.scheduling;
  if (isRecord(scheduling) && Array.isArray(scheduling.schedule)) {
    scheduling.schedule.forEach((entry: unknown, index) => {
      if (isRecord(entry) && isCount(entry.instances) && entry.instances > (best?.size ?? -1)) {
        best = { size: entry.instances, path: `scheduling.schedule[${index}].instances` };
      }
    });
  }
  return best;
}

/**
 * Rules of `prebuilds.autoscaling` that span fields, on the raw input (so they are reported
 * along with any other problem): exactly one of expression and forecast; a forecast's min at
 * most its max; and without min (the schedules are the floor) a max no lower than any pool size
 * the schedules ask for, which could otherwise never be honoured.
 */
export function autoscalingIssues(
  prebuilds: Record<string, unknown>,
  base: readonly PropertyKey[],
): RawIssue[] {
  const autoscaling = prebuilds.autoscaling;
  if (!isRecord(autoscaling)) return [];
  const at = [...base, 'autoscaling'];
  const hasExpression = autoscaling.expression !== undefined;
  const hasForecast = autoscaling.forecast !== undefined;
  if (hasExpression === hasForecast) {
    return [
      {
        segments: at,
        message: hasExpression
          ? 'set only one of "expression" and "forecast"'
          : 'set one of "expression" (a Coder-compatible formula) or "forecast" (a target hit rate)',
      },
    ];
  }
  const forecast = autoscaling.forecast;
  if (!isRecord(forecast) || !isCount(forecast.max)) return [];
  const { max } = forecast;
  if (forecast.min !== undefined) {
    return isCount(forecast.min) && forecast.min > max
      ? [{ segments: [...at, 'forecast', 'min'], message: `must be at most max (${max})` }]
      : [];
  }
  const scheduled = largestScheduled(prebuilds);
  if (scheduled !== null && scheduled.size > max) {
    return [
      {
        segments: [...at, 'forecast', 'max'],
        message: `${max} is below the pool size ${scheduled.size} of prebuilds.${scheduled.path}; without min the scheduled size is the floor: raise max or set min`,
      },
    ];
  }
  return [];
}
