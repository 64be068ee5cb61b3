import type { Config } from '../config/settings.js';
import type { AutoscalingSettings } from '../domain/autoscaling/types.js';

/** The decision's controller-wide settings, from the loaded configuration. */
export function autoscalingSettingsFromConfig(
  config: Pick<Config, 'autoscalingMaxTarget' | 'autoscalingDefaultLeadTime'>,
): AutoscalingSettings {
  return {
    maxTarget: config.autoscalingMaxTarget,
    defaultLeadTimeMs: config.autoscalingDefaultLeadTime,
  };
}
