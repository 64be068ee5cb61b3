import { type Command, Option } from 'commander';

import { flagName, type SettingDefinition, type SettingKey, SETTINGS } from '../config/settings.js';

/** Adds the flags of these settings to a command, with the variable and default in the help. */
export function addSettings(command: Command, keys: readonly SettingKey[]): Command {
  for (const key of keys) {
    const setting: SettingDefinition = SETTINGS[key];
    const fallback = setting.default !== undefined ? `, default ${setting.default}` : '';
    const file = setting.fileEnv ? ` or ${setting.fileEnv}` : '';
    const value = setting.bareFlag ? `[${setting.arg}]` : `<${setting.arg}>`;
    command.addOption(
      new Option(
        `${flagName(key)} ${value}`,
        `${setting.description} (env ${setting.env}${file}${fallback})`,
      ),
    );
  }
  return command;
}

export const DATABASE_SETTINGS = [
  'databaseUrl',
  'databaseConnectTimeout',
  'dataDir',
  'embeddedPgPort',
  'logLevel',
] as const;
