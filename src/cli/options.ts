import { type Command, Option } from 'commander';

import { addApiOptions } from './backends/target.js';

import { flagName, type SettingDefinition, type SettingKey, SETTINGS } from '../config/settings.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds the flags of these settings to a command, with the variable and default in the help. */
export function addSettings(command: Command, keys: readonly SettingKey[]): Command {
  for (const key of keys) {
    const setting = SETTINGS[key];
    const definition: SettingDefinition = setting;
    const fallback = definition.default !== undefined ? `, default ${definition.default}` : '';
    const file = definition.fileEnv ? ` or ${definition.fileEnv}` : '';
    const arg = definition.bare === undefined ? `<${setting.arg}>` : `[${setting.arg}]`;
    const option = new Option(
      `${flagName(key)} ${arg}`,
      `${setting.description} (env ${setting.env}${file}${fallback})`,
    );
    if (definition.repeatable) option.argParser(collect);
    if (definition.bare !== undefined) option.preset(definition.bare);
    command.addOption(option);
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

/**
 * addSettings for a command with an API equivalent: also --url, --token and --token-file, which
 * send it to a controller over HTTP instead of the database.
 */
export function addClientSettings(command: Command, keys: readonly SettingKey[]): Command {
  return addApiOptions(addSettings(command, keys));
}
