import type { Command } from 'commander';

import { loadConfig } from '../../config/load.js';
import { type SettingKey, SETTINGS } from '../../config/settings.js';
import { DemoAborted, type DemoStep, runDemoSteps } from '../../demo/steps.js';
import { createLogger } from '../../log/logger.js';
import { type RunningController, startController } from '../../service/controller.js';
import { FEATURES } from '../../service/features.js';
import { CliError } from '../errors.js';
import { addSettings } from '../options.js';
import { waitForShutdownSignal } from '../signals.js';

/** Settings the demo takes; the rest keep their defaults (the provisioner is always echo). */
const DEMO_SETTINGS: readonly SettingKey[] = [
  'databaseUrl',
  'dataDir',
  'embeddedPgPort',
  'listen',
  'echoDuration',
  'reconcileInterval',
  'logLevel',
];

/** Demo defaults where neither a flag nor the environment says otherwise: quick and quiet. */
const DEMO_DEFAULTS: Partial<Record<SettingKey, string>> = {
  echoDuration: '1s',
  reconcileInterval: '2s',
  logLevel: 'warn',
};

function demoFlags(flags: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...flags, provisioner: 'echo' };
  for (const [key, value] of Object.entries(DEMO_DEFAULTS) as [SettingKey, string][]) {
    const env = process.env[SETTINGS[key].env];
    if (result[key] === undefined && (env === undefined || env === '')) result[key] = value;
  }
  return result;
}

function oneLine(error: unknown, listen: string): string {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    return `cannot listen on ${listen}: the address is in use (pass --listen 127.0.0.1:<free port>)`;
  }
  if (code === 'EACCES' && (error as { syscall?: string }).syscall === 'listen') {
    return `cannot listen on ${listen}: permission denied (pass --listen 127.0.0.1:<port above 1024>)`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/**
 * `demo`: the controller in-process (embedded database unless DATABASE_URL, echo provisioner), a
 * sample template, and each step printed as it happens; then stops, or keeps serving with --keep.
 */
export function registerDemo(program: Command): void {
  const command = program
    .command('demo')
    .description(
      'try it in a minute: embedded database (or DATABASE_URL), echo provisioner, a sample template; prints each step as prebuilds appear, one is claimed and the metrics move, then stops (or keeps serving with --keep)',
    )
    .option('--keep', 'keep serving after the demo until SIGINT/SIGTERM')
    .option('--json', 'print one JSON object per step (JSON lines)');
  addSettings(command, DEMO_SETTINGS).action(async (flags: Record<string, unknown>) => {
    const startedAt = performance.now();
    const json = flags.json === true;
    const config = loadConfig(demoFlags(flags));
    const listen = `${config.listen.host}:${config.listen.port}`;
    // Logs go to stderr: stdout carries the steps only.
    const logger = createLogger({ level: config.logLevel, fd: 2 });
    const print = (step: DemoStep) => {
      if (json) {
        process.stdout.write(`${JSON.stringify(step)}\n`);
      } else {
        const seconds = (step.elapsed_ms / 1000).toFixed(1).padStart(5);
        process.stdout.write(`[${seconds}s] ${step.message}\n`);
      }
    };
    const emit = (step: string, message: string, details: Record<string, unknown> = {}) =>
      print({
        step,
        message,
        elapsed_ms: Math.round(performance.now() - startedAt),
        ...details,
      });

    const abort = new AbortController();
    const signalled = waitForShutdownSignal(logger).then((signal) => {
      abort.abort();
      return signal;
    });

    let controller: RunningController | undefined;
    try {
      controller = await startController({
        config,
        logger,
        features: FEATURES,
        onMigrated: (applied, embedded) =>
          emit(
            'migrations_applied',
            `migrations applied (${applied.length} new) on the ${embedded ? 'embedded database' : 'database of DATABASE_URL'}`,
            { applied: applied.length, embedded_database: embedded },
          ),
      });
      emit('serving', `controller serving on ${controller.url} with the echo provisioner`, {
        url: controller.url,
      });
      if (abort.signal.aborted) throw new DemoAborted('stopped');
      await runDemoSteps({ url: controller.url, emit: print, startedAt, signal: abort.signal });
      emit('done', `demo done in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
      if (flags.keep === true) {
        const url = controller.url;
        const curl = `curl -s ${url}/metrics | grep '^coderd_prebuilt_workspaces_claimed_total'`;
        emit('keep', `still serving on ${url} until Ctrl-C; try: ${curl}`, { url, curl });
        await signalled;
      }
    } catch (error) {
      if (!(error instanceof DemoAborted)) {
        await controller?.stop().catch(() => undefined);
        throw new CliError(`demo failed: ${oneLine(error, listen)}`, 2);
      }
    }
    await controller?.stop().catch((error: unknown) => {
      throw new CliError(`demo failed: could not stop cleanly: ${oneLine(error, listen)}`, 2);
    });
    emit('stopped', 'stopped');
  });
}
