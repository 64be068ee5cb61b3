import type { Config } from '../config/settings.js';
import type { ProvisionerType } from '../jobs/model.js';
import { EchoProvisioner } from './echo.js';
import { ExecProvisioner } from './exec.js';
import type { Provisioner } from './types.js';

export type ProvisionerSettings = Pick<
  Config,
  | 'echoDuration'
  | 'echoFailureRate'
  | 'echoSeed'
  | 'echoAgentReadyDelay'
  | 'execCommand'
  | 'execTimeout'
>;

/** Builds the provisioner of a type from the settings. */
export function createProvisioner(type: ProvisionerType, config: ProvisionerSettings): Provisioner {
  switch (type) {
    case 'echo':
      return new EchoProvisioner({
        durationMs: config.echoDuration,
        failureRate: config.echoFailureRate,
        seed: config.echoSeed,
        agentReadyDelayMs: config.echoAgentReadyDelay,
      });
    case 'exec':
      return new ExecProvisioner({ command: config.execCommand, timeoutMs: config.execTimeout });
  }
}
