import type { AutoscalingPolicy } from '../domain/autoscaling/types.js';
import type { PresetRow } from '../domain/prebuilds/types.js';
import { policyFromConfig } from '../templates/autoscaling-policy.js';
import type { PrebuildsConfig } from '../templates/config-schema.js';

const cache = new Map<string, Pick<PresetRow, 'autoscaling' | 'autoscalingError'>>();

/**
 * A preset's policy from its stored `autoscaling` column (the validated `prebuilds.autoscaling`
 * block, see migrations/0009). Never throws: a block that cannot be read (it passed validation
 * at push, so only a hand-edited row) gives no policy and the reason, and the decision falls
 * back to the scheduled target with it. Results are cached by the block's JSON text.
 */
export function storedPolicy(
  block: Readonly<Record<string, unknown>> | null,
): Pick<PresetRow, 'autoscaling' | 'autoscalingError'> {
  if (block === null) return { autoscaling: null, autoscalingError: null };
  const key = JSON.stringify(block);
  let result = cache.get(key);
  if (result === undefined) {
    result = read(block);
    if (cache.size >= 10_000) cache.clear();
    cache.set(key, result);
  }
  return result;
}

function read(
  block: Readonly<Record<string, unknown>>,
): Pick<PresetRow, 'autoscaling' | 'autoscalingError'> {
  const kind: AutoscalingPolicy['kind'] = 'forecast' in block ? 'forecast' : 'expression';
  const fail = (message: string) => ({
    autoscaling: null,
    autoscalingError: { kind, message: `stored autoscaling policy unreadable: ${message}` },
  });
  if (kind === 'expression') {
    return typeof block.expression === 'string'
      ? { autoscaling: { kind, expression: block.expression }, autoscalingError: null }
      : fail('expression is not a string');
  }
  const forecast = block.forecast as Record<string, unknown> | null;
  if (typeof forecast !== 'object' || forecast === null) return fail('forecast is not an object');
  const numbers = ['target_hit_rate', 'max'].every((field) => typeof forecast[field] === 'number');
  const min = forecast.min === undefined || typeof forecast.min === 'number';
  if (!numbers || !min) return fail('forecast.target_hit_rate, min or max is not a number');
  try {
    const policy = policyFromConfig({ autoscaling: block } as unknown as PrebuildsConfig);
    return { autoscaling: policy, autoscalingError: null };
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}
