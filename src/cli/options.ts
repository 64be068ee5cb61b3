import { type Command, Option } from 'commander';

import { flagName, type SettingKey, SETTINGS } from '../config/settings.js';

/** Adds the flags of these settings to a command, with the variable and default in the help. */
export function addSettings(command: Command, keys: readonly SettingKey[]): Command {
  for (const key of keys) {
    const setting = SETTINGS[key];
    const fallback = 'default' in setting ? `, default ${setting.default}` : '';
    command.addOption(
      new Option(
        `${flagName(key)} <${setting.arg}>`,
        `${setting.description} (env ${setting.env}${fallback})`,
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
