import { readFileSync } from 'node:fs';

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

/** Reads a secret file (`*_FILE` variables); tests pass their own. */
export type SecretFileReader = (path: string) => string;

const readSecretFile: SecretFileReader = (path) => readFileSync(path, 'utf8');

/** Where a setting's raw text came from, for error messages. */
interface RawValue {
  readonly text: string;
  readonly source: string;
}

function rawValue(
  key: SettingKey,
  setting: SettingDefinition,
  flags: Partial<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
  readFile: SecretFileReader,
): RawValue | undefined {
  const given = flags[key];
  // A repeatable flag arrives as a list (joined by NUL for its schema); a bare one as true.
  const flag = Array.isArray(given)
    ? given.map(String).join('\0')
    : given === true && setting.bare !== undefined
      ? setting.bare
      : given;
  const fromEnv = env[setting.env];
  const hasEnv = fromEnv !== undefined && fromEnv !== '';
  const filePath = setting.fileEnv === undefined ? undefined : env[setting.fileEnv];
  const hasFile = filePath !== undefined && filePath !== '';
  if (hasEnv && hasFile) {
    throw new ConfigError(
      `invalid configuration: both ${setting.env} and ${setting.fileEnv} are set; set only one`,
    );
  }
  if (typeof flag === 'string' || typeof flag === 'number') {
    return { text: String(flag), source: `${flagName(key)} (env ${setting.env})` };
  }
  if (hasEnv) return { text: fromEnv, source: `${setting.env} (flag ${flagName(key)})` };
  if (hasFile) {
    const source = `${setting.fileEnv} (${filePath})`;
    let text: string;
    try {
      text = readFile(filePath).trim();
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new ConfigError(
        `invalid configuration: ${source}: cannot read the file${code ? ` (${code})` : ''}`,
      );
    }
    if (text === '') throw new ConfigError(`invalid configuration: ${source}: the file is empty`);
    return { text, source };
  }
  if (setting.default !== undefined) {
    return { text: setting.default, source: `${setting.env} (flag ${flagName(key)})` };
  }
  return undefined;
}

/**
 * Builds the configuration from flags (highest), environment variables (or, for secrets, the file
 * a `*_FILE` variable names, trimmed), then defaults. Empty environment variables count as unset.
 * The first invalid setting throws a ConfigError naming the flag, the variable, the value and what
 * is wrong.
 */
export function loadConfig(
  flags: Partial<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
  readFile: SecretFileReader = readSecretFile,
): Config {
  const entries = Object.entries(SETTINGS) as [SettingKey, SettingDefinition][];
  const result: Record<string, unknown> = {};
  for (const [key, setting] of entries) {
    const raw = rawValue(key, setting, flags, env, readFile);
    if (raw === undefined) {
      result[key] = undefined;
      continue;
    }
    const parsed = setting.schema.safeParse(raw.text);
    if (!parsed.success) {
      const message = parsed.error.issues.map((issue) => issue.message).join('; ');
      throw new ConfigError(`invalid configuration: ${raw.source}: ${message}`);
    }
    result[key] = parsed.data;
  }
  return result as Config;
}
