import {
  type Config,
  flagName,
  type SettingDefinition,
  type SettingKey,
  SETTINGS,
} from './settings.js';

/** A configuration problem; the CLI prints it as one line and exits with code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Builds the configuration from flags (highest), environment variables, then defaults.
 * Empty environment variables count as unset. The first invalid setting throws a ConfigError
 * naming the flag, the variable, the value and what is wrong.
 */
export function loadConfig(
  flags: Partial<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const entries = Object.entries(SETTINGS) as [SettingKey, SettingDefinition][];
  const result: Record<string, unknown> = {};
  for (const [key, setting] of entries) {
    const given = flags[key];
    // A repeatable flag arrives as a list (joined by NUL for its schema); a bare one as true.
    const flag = Array.isArray(given)
      ? given.map(String).join('\0')
      : given === true && setting.bare !== undefined
        ? setting.bare
        : given;
    const fromEnv = env[setting.env];
    const raw =
      typeof flag === 'string' || typeof flag === 'number'
        ? String(flag)
        : fromEnv !== undefined && fromEnv !== ''
          ? fromEnv
          : setting.default;
    if (raw === undefined) {
      result[key] = undefined;
      continue;
    }
    const parsed = setting.schema.safeParse(raw);
    if (!parsed.success) {
      const message = parsed.error.issues.map((issue) => issue.message).join('; ');
      const source =
        flag !== undefined && flag !== null
          ? `${flagName(key)} (env ${setting.env})`
          : `${setting.env} (flag ${flagName(key)})`;
      throw new ConfigError(`invalid configuration: ${source}: ${message}`);
    }
    result[key] = parsed.data;
  }
  return result as Config;
}
