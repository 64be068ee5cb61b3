import { ConfigError } from '../config/load.js';
import type { Config } from '../config/settings.js';
import type { ProvisionerType } from '../jobs/model.js';
import { EchoProvisioner } from './echo.js';
import { ExecProvisioner } from './exec.js';
import { execUserFor } from './exec-user.js';
import type { Provisioner } from './types.js';

export type ProvisionerSettings = Pick<
  Config,
  | 'echoDuration'
  | 'echoFailureRate'
  | 'echoSeed'
  | 'echoAgentReadyDelay'
  | 'execCommand'
  | 'execCommands'
  | 'execAllowTemplateCommands'
  | 'execUser'
  | 'execEnv'
  | 'execTimeout'
>;

/**
 * The named commands of an exec daemon: `--exec-command` values and the JSON object of
 * PREBUILD_CONTROLLER_EXEC_COMMANDS together; a name in both is a configuration error.
 */
export function execCommandTable(
  config: Pick<Config, 'execCommand' | 'execCommands'>,
): Record<string, string> {
  const commands: Record<string, string> = { ...config.execCommands };
  for (const [name, command] of Object.entries(config.execCommand ?? {})) {
    if (Object.hasOwn(commands, name)) {
      throw new ConfigError(
        `invalid configuration: the exec command "${name}" is defined by both --exec-command (PREBUILD_CONTROLLER_EXEC_COMMAND) and PREBUILD_CONTROLLER_EXEC_COMMANDS`,
      );
    }
    commands[name] = command;
  }
  return commands;
}

/** Builds the provisioner of a type from the settings; a ConfigError for impossible settings. */
export function createProvisioner(
  type: ProvisionerType,
  config: ProvisionerSettings,
  uid: number | undefined = process.getuid?.(),
): Provisioner {
  switch (type) {
    case 'echo':
      return new EchoProvisioner({
        durationMs: config.echoDuration,
        failureRate: config.echoFailureRate,
        seed: config.echoSeed,
        agentReadyDelayMs: config.echoAgentReadyDelay,
      });
    case 'exec': {
      const user = execUserFor(config.execUser, uid);
      if (typeof user === 'string') {
        throw new ConfigError(
          `invalid configuration: --exec-user (env PREBUILD_CONTROLLER_EXEC_USER): ${user}`,
        );
      }
      return new ExecProvisioner({
        commands: execCommandTable(config),
        allowTemplateCommands: config.execAllowTemplateCommands,
        timeoutMs: config.execTimeout,
        ...(config.execEnv ? { envAllow: config.execEnv } : {}),
        user,
      });
    }
  }
}
