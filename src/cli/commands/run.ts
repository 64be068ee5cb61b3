import type { Command } from 'commander';

import { loadConfig } from '../../config/load.js';
import { type SettingKey, SETTINGS } from '../../config/settings.js';
import { createLogger } from '../../log/logger.js';
import { createProvisioner } from '../../provisioners/registry.js';
import { startController } from '../../service/controller.js';
import { applyHeapGrowth } from '../../service/heap.js';
import { FEATURES } from '../../service/features.js';
import { addSettings } from '../options.js';
import { waitForShutdownSignal } from '../signals.js';

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description(
      'run the controller: migrations, HTTP API and /metrics, and every enabled loop; stops cleanly on SIGTERM/SIGINT',
    );
  addSettings(command, Object.keys(SETTINGS) as SettingKey[]).action(
    async (flags: Record<string, unknown>) => {
      const config = loadConfig(flags);
      applyHeapGrowth(config.heapGrowthPercent);
      // Exec settings (named commands, --exec-user) are checked before anything starts.
      if (config.provisioner === 'exec') createProvisioner('exec', config);
      const logger = createLogger({ level: config.logLevel, fd: 1 });
      const controller = await startController({ config, logger, features: FEATURES });
      await waitForShutdownSignal(logger);
      await controller.stop().catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      });
    },
  );
}
