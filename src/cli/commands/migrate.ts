import type { Command } from 'commander';

import { loadConfig } from '../../config/load.js';
import { redactUrl, resolveDatabase } from '../../db/connect.js';
import { migrate } from '../../db/migrate.js';
import { createLogger } from '../../log/logger.js';
import { addSettings, DATABASE_SETTINGS } from '../options.js';

export function registerMigrate(program: Command): void {
  const command = program
    .command('migrate')
    .description('apply pending database migrations and exit (safe to run from several replicas)');
  command.option('--json', 'print {"database", "applied": [migration file names]}');
  addSettings(command, [...DATABASE_SETTINGS, 'migrationLockTimeout']).action(
    async (flags: Record<string, unknown>) => {
      const config = loadConfig(flags);
      const logger = createLogger({ level: config.logLevel, fd: 2 });
      const database = await resolveDatabase(config, logger);
      try {
        const applied = await migrate(database.url, logger, undefined, {
          connectTimeoutMs: config.databaseConnectTimeout,
          lockTimeoutMs: config.migrationLockTimeout,
        });
        process.stdout.write(
          flags.json === true
            ? JSON.stringify({ database: redactUrl(database.url), applied }) + '\n'
            : applied.length === 0
              ? `database ${redactUrl(database.url)} is up to date\n`
              : `applied ${applied.length} migration(s) to ${redactUrl(database.url)}: ${applied.join(', ')}\n`,
        );
      } finally {
        await database.stop();
      }
    },
  );
}
