import { autoscalingSettingsFromConfig } from '../autoscaling/settings.js';
import { ConfigError } from '../config/load.js';
import { type Config, flagName, SETTINGS } from '../config/settings.js';
import { type PrebuildOptions, validatePrebuildOptions } from '../domain/prebuilds/options.js';

type OptionSettings = Pick<
  Config,
  | 'backoffBase'
  | 'backoffCap'
  | 'backoffLookback'
  | 'failureHardLimit'
  | 'prebuildCleanupGrace'
  | 'autoscalingMaxTarget'
  | 'autoscalingDefaultLeadTime'
  | 'prebuildDeleteRetryLimit'
>;

/** The decision's options from the settings; settings that contradict each other are a ConfigError. */
export function prebuildOptionsFromConfig(config: OptionSettings): PrebuildOptions {
  const options: PrebuildOptions = {
    backoffBaseMs: config.backoffBase,
    backoffCapMs: config.backoffCap,
    backoffLookbackMs: config.backoffLookback,
    failureHardLimit: config.failureHardLimit,
    cleanupGraceMs: config.prebuildCleanupGrace,
    autoscaling: autoscalingSettingsFromConfig(config),
    deleteRetryLimit: config.prebuildDeleteRetryLimit,
  };
  if (options.backoffCapMs < options.backoffBaseMs) {
    const cap = SETTINGS.backoffCap;
    const base = SETTINGS.backoffBase;
    throw new ConfigError(
      `invalid configuration: ${flagName('backoffCap')} (env ${cap.env}) must be at least ${flagName('backoffBase')} (env ${base.env})`,
    );
  }
  const problems = validatePrebuildOptions(options);
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return options;
}
