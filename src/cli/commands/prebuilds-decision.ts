import type { Config, SettingKey } from '../../config/settings.js';
import { flagName, SETTINGS } from '../../config/settings.js';
import type { Db } from '../../db/sql-files.js';
import type { PrebuildOptions } from '../../domain/prebuilds/options.js';
import { readDecisionSettings } from '../../prebuilds/decision-settings.js';
import { prebuildOptionsFromConfig } from '../../prebuilds/options.js';
import { formatDuration } from '../../util/duration.js';

/** The options a decision setting feeds (autoscaling's bounds are the command's own). */
type NumericOption = Exclude<keyof PrebuildOptions, 'autoscaling'>;

/** Each decision setting and the option it feeds. */
const FIELDS: readonly (readonly [SettingKey, NumericOption])[] = [
  ['backoffBase', 'backoffBaseMs'],
  ['backoffCap', 'backoffCapMs'],
  ['backoffLookback', 'backoffLookbackMs'],
  ['failureHardLimit', 'failureHardLimit'],
  ['prebuildCleanupGrace', 'cleanupGraceMs'],
  ['prebuildDeleteRetryLimit', 'deleteRetryLimit'],
];

export const DECISION_KEYS: readonly SettingKey[] = FIELDS.map(([key]) => key);

export interface DecisionSettings {
  readonly options: PrebuildOptions;
  /** `controller`: recorded by the running controller; `command`: none recorded, this command's. */
  readonly source: 'controller' | 'command';
  readonly recorded_at: string | null;
  /** Flags (or environment variables) of this command that replaced the recorded value. */
  readonly overridden: readonly string[];
}

/** Was the setting given to this command (flag or environment variable), not defaulted? */
function given(key: SettingKey, flags: Record<string, unknown>, env: NodeJS.ProcessEnv): boolean {
  const value = env[SETTINGS[key].env];
  return flags[key] !== undefined || (value !== undefined && value !== '');
}

/**
 * The decision settings `prebuilds status` and `plan` use: what the controller recorded in the
 * database, with this command's own flags (and environment variables) on top; this command's
 * values throughout when no controller has recorded any.
 */
export async function decisionSettings(
  db: Db,
  config: Config,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DecisionSettings> {
  const own = prebuildOptionsFromConfig(config);
  const recorded = await readDecisionSettings(db);
  if (!recorded) return { options: own, source: 'command', recorded_at: null, overridden: [] };
  const options: Record<NumericOption, number> = {
    backoffBaseMs: recorded.options.backoffBaseMs,
    backoffCapMs: recorded.options.backoffCapMs,
    backoffLookbackMs: recorded.options.backoffLookbackMs,
    failureHardLimit: recorded.options.failureHardLimit,
    cleanupGraceMs: recorded.options.cleanupGraceMs,
    deleteRetryLimit: recorded.options.deleteRetryLimit,
  };
  const overridden: string[] = [];
  for (const [key, field] of FIELDS) {
    if (!given(key, flags, env)) continue;
    options[field] = own[field];
    overridden.push(flagName(key));
  }
  return {
    options: prebuildOptionsFromConfig({
      ...config,
      backoffBase: options.backoffBaseMs,
      backoffCap: options.backoffCapMs,
      backoffLookback: options.backoffLookbackMs,
      failureHardLimit: options.failureHardLimit,
      prebuildCleanupGrace: options.cleanupGraceMs,
      prebuildDeleteRetryLimit: options.deleteRetryLimit,
    }),
    source: 'controller',
    recorded_at: recorded.recordedAt,
    overridden,
  };
}

/** Over the API the controller decides with its own settings; the CLI's do not apply. */
export interface ApiDecisionSettings {
  readonly source: 'api';
}

/** One line saying which decision settings were used. */
export function describeDecisionSettings(settings: DecisionSettings | ApiDecisionSettings): string {
  if (settings.source === 'api') {
    return "decision settings: the controller's (it computed this answer over the API)\n";
  }
  const values = FIELDS.map(([key, field]) => {
    const value = settings.options[field];
    return `${flagName(key).slice(2)} ${field === 'failureHardLimit' || field === 'deleteRetryLimit' ? value : formatDuration(value)}`;
  }).join(', ');
  const source =
    settings.source === 'controller'
      ? `the controller's, recorded ${settings.recorded_at}${settings.overridden.length ? `, overridden by ${settings.overridden.join(', ')}` : ''}`
      : "this command's (no controller has recorded its settings in this database)";
  return `decision settings: ${values} (${source})\n`;
}
