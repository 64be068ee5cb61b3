import { type Command, Option } from 'commander';

import { loadConfig } from '../../config/load.js';
import { parseTags, SETTINGS } from '../../config/settings.js';
import { resolveDatabase } from '../../db/connect.js';
import { Listener } from '../../db/listener.js';
import { migrate } from '../../db/migrate.js';
import { createDbPool } from '../../db/pool.js';
import { databaseReadiness } from '../../db/readiness.js';
import { waitForDatabase } from '../../db/wait.js';
import { startMetricsServer } from '../../http/metrics-server.js';
import { createDaemonHost } from '../../jobs/host.js';
import { jobMetricsFor, setDefaultJobMetrics } from '../../jobs/metrics.js';
import { JobReaper } from '../../jobs/reaper.js';
import { formatTags } from '../../jobs/tags.js';
import { createLogger } from '../../log/logger.js';
import { observeDbPool } from '../../metrics/db-pool.js';
import { createRegistry } from '../../metrics/registry.js';
import { createProvisioner } from '../../provisioners/registry.js';
import { systemClock } from '../../util/clock.js';
import { CliError } from '../errors.js';
import { waitForShutdownSignal } from '../signals.js';
import { addSettings, DATABASE_SETTINGS } from '../options.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface ProvisionerdFlags extends Record<string, unknown> {
  provisioner?: string;
  tags?: string[];
  concurrency?: string;
  name?: string;
}

/** The daemon's own flags, checked here so errors name the flag the user typed. */
function daemonFlags(flags: ProvisionerdFlags, config: ReturnType<typeof loadConfig>) {
  if (config.provisioner === 'none') {
    throw new CliError('--provisioner: provisionerd needs echo or exec', 2);
  }
  let tags = config.provisionerTags ?? {};
  if (flags.tags && flags.tags.length > 0) {
    const parsed = parseTags(flags.tags.join(','));
    if (typeof parsed === 'string') throw new CliError(`--tags: ${parsed}`, 2);
    tags = parsed;
  }
  let concurrency = config.provisionerConcurrency;
  if (flags.concurrency !== undefined) {
    const parsed = SETTINGS.provisionerConcurrency.schema.safeParse(flags.concurrency);
    if (!parsed.success) {
      throw new CliError(`--concurrency: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 2);
    }
    concurrency = parsed.data;
  }
  // Exec settings (named commands, --exec-user) are checked before anything starts.
  if (config.provisioner === 'exec') createProvisioner('exec', config);
  const name = flags.name ?? config.provisionerName;
  if (name !== undefined && name.trim() === '') throw new CliError('--name: must not be empty', 2);
  return { provisioner: config.provisioner, tags, concurrency, name };
}

export function registerProvisionerd(program: Command): void {
  const command = program
    .command('provisionerd')
    .description(
      'run provisioner daemons alone (no API; /metrics with --metrics-listen): they take jobs from the queue and build workspaces; stops cleanly on SIGTERM/SIGINT',
    )
    .addOption(
      new Option(
        '--provisioner <type>',
        'provisioner to run: echo or exec (env PREBUILD_CONTROLLER_PROVISIONER, default echo)',
      ),
    )
    .addOption(
      new Option(
        '--tags <k=v>',
        'a tag of this daemon, repeatable (--tags region=eu --tags gpu=true); untagged daemons take untagged jobs only',
      ).argParser(collect),
    )
    .addOption(
      new Option(
        '--concurrency <n>',
        'jobs run at once (env PREBUILD_CONTROLLER_PROVISIONER_CONCURRENCY, default 4)',
      ),
    )
    .addOption(
      new Option('--name <name>', 'daemon name in provisioner_daemons (default <host>-<pid>)'),
    );
  addSettings(command, [
    ...DATABASE_SETTINGS,
    'databasePoolSize',
    'databasePoolIdleTimeout',
    'databaseStatementTimeout',
    'migrationLockTimeout',
    'metricsListen',
    'logRequests',
    'jobPollInterval',
    'jobHeartbeatInterval',
    'jobReaperTimeout',
    'echoDuration',
    'echoFailureRate',
    'echoSeed',
    'echoAgentReadyDelay',
    'execCommand',
    'execCommands',
    'execAllowTemplateCommands',
    'execUser',
    'execEnv',
    'execTimeout',
    'quietHoursDefaultSchedule',
    'shutdownTimeout',
  ]).action(async (flags: ProvisionerdFlags) => {
    const config = loadConfig(flags);
    const daemon = daemonFlags(flags, config);
    const logger = createLogger({ level: config.logLevel, fd: 1 });
    const database = await resolveDatabase(config, logger);
    const cleanup: (() => Promise<void>)[] = [() => database.stop()];
    try {
      const connectTimeoutMs = config.databaseConnectTimeout;
      await waitForDatabase(database.url, logger, { connectTimeoutMs });
      await migrate(database.url, logger, undefined, {
        connectTimeoutMs,
        lockTimeoutMs: config.migrationLockTimeout,
      });
      const poolSize = config.databasePoolSize ?? Math.min(50, 2 + daemon.concurrency * 2);
      const pool = await createDbPool(database.url, {
        logger,
        applicationName: 'prebuild-controller provisionerd',
        maximumPoolSize: poolSize,
        statementTimeoutMs: config.databaseStatementTimeout,
        connectTimeoutMs,
        idleTimeoutMs: config.databasePoolIdleTimeout,
      });
      cleanup.push(() => pool.end());
      const listener = new Listener(database.url, logger, { connectTimeoutMs });
      await listener.start();
      cleanup.push(() => listener.stop());
      const registry = createRegistry();
      observeDbPool(registry, pool, poolSize);
      const metrics = jobMetricsFor(registry);
      setDefaultJobMetrics(metrics);
      const host = createDaemonHost({
        db: pool,
        listener,
        logger,
        clock: systemClock,
        config,
        provisioner: daemon.provisioner,
        tags: daemon.tags,
        concurrency: daemon.concurrency,
        ...(daemon.name ? { name: daemon.name } : {}),
        metrics,
      });
      const reaper = new JobReaper({
        db: pool,
        clock: systemClock,
        logger,
        timeoutMs: config.jobReaperTimeout,
        metrics,
      });
      if (config.metricsListen) {
        // The daemon's own counters and histograms (jobs acquired, run time, ...): a `run`
        // replica cannot see them, so a separately deployed provisionerd serves them itself.
        const server = await startMetricsServer({
          listen: config.metricsListen,
          logger,
          registry,
          readiness: () => databaseReadiness(pool),
          logRequests: config.logRequests,
        });
        cleanup.push(() => server.app.close());
      }
      await host.start();
      cleanup.push(() => host.stop(new Date(Date.now() + config.shutdownTimeout)));
      await reaper.start();
      cleanup.push(() => reaper.stop());
      logger.info(
        {
          provisioner: daemon.provisioner,
          tags: formatTags(daemon.tags),
          concurrency: daemon.concurrency,
        },
        'provisionerd running',
      );
      await waitForShutdownSignal(logger);
    } finally {
      for (const step of cleanup.reverse()) {
        await step().catch((error: unknown) =>
          logger.error({ err: error }, 'shutdown step failed'),
        );
      }
      logger.info('provisionerd stopped');
    }
  });
}
