import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Config } from '../config/settings.js';
import type { Listener } from '../db/listener.js';
import type { Db } from '../db/sql-files.js';
import type { Logger } from '../log/logger.js';
import { createProvisioner } from '../provisioners/registry.js';
import type { Provisioner } from '../provisioners/types.js';
import type { Component } from '../service/component.js';
import type { Clock } from '../util/clock.js';
import { packageRoot } from '../util/paths.js';
import { Acquirer } from './acquirer.js';
import { ProvisionerDaemon } from './daemon.js';
import type { JobMetrics } from './metrics.js';
import { PROVISIONER_TYPES, type ProvisionerType, type Tags } from './model.js';

export type DaemonSettings = Pick<
  Config,
  | 'jobPollInterval'
  | 'jobHeartbeatInterval'
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
  | 'quietHoursDefaultSchedule'
>;

export interface DaemonHostOptions {
  readonly db: Db;
  readonly listener: Listener | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly config: DaemonSettings;
  readonly provisioner: ProvisionerType;
  readonly tags: Tags;
  readonly concurrency: number;
  readonly name?: string;
  readonly metrics?: JobMetrics;
}

let version: string | undefined;
function packageVersion(): string {
  try {
    version ??= (
      JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    version = '';
  }
  return version;
}

/** Builds the provisioner of a type, or undefined when it is not one this build knows. */
export function provisionerLookup(
  config: DaemonSettings,
  types: readonly ProvisionerType[],
): (type: string) => Provisioner | undefined {
  const built = new Map<string, Provisioner>();
  for (const type of types) built.set(type, createProvisioner(type, config));
  return (type) => built.get(type);
}

/**
 * A provisioner daemon with its own acquirer, as one component: what `run` hosts in-process and
 * `provisionerd` runs alone.
 */
export function createDaemonHost(options: DaemonHostOptions): Component & {
  readonly daemon: ProvisionerDaemon;
  readonly acquirer: Acquirer;
} {
  if (!PROVISIONER_TYPES.includes(options.provisioner)) {
    throw new Error(`unknown provisioner "${String(options.provisioner)}"`);
  }
  const acquirer = new Acquirer({
    db: options.db,
    ...(options.listener ? { listener: options.listener } : {}),
    logger: options.logger,
    clock: options.clock,
    pollIntervalMs: options.config.jobPollInterval,
  });
  const daemon = new ProvisionerDaemon({
    db: options.db,
    acquirer,
    clock: options.clock,
    logger: options.logger,
    ...(options.name ? { name: options.name } : {}),
    provisioners: [options.provisioner],
    provisionerFor: provisionerLookup(options.config, [options.provisioner]),
    tags: options.tags,
    concurrency: options.concurrency,
    heartbeatIntervalMs: options.config.jobHeartbeatInterval,
    defaultQuietHours: options.config.quietHoursDefaultSchedule,
    version: packageVersion(),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return {
    name: daemon.name,
    daemon,
    acquirer,
    start: () => daemon.start(),
    stop: async (deadline) => {
      await daemon.stop(deadline);
      acquirer.close();
    },
  };
}
