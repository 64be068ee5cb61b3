import { writeFile } from 'node:fs/promises';

import type { Command } from 'commander';

import { autoscalingSettingsFromConfig } from '../../autoscaling/settings.js';
import {
  simulationJsonText,
  simulationSvg,
  simulationText,
} from '../../autoscaling/simulate/index.js';
import { activePolicy, recordedDemand } from '../../autoscaling/simulate/database.js';
import { runSimulations, type SimulationReport } from '../../autoscaling/simulate/run.js';
import {
  type DemandSource,
  presetPolicy,
  type PresetPolicy,
  type PolicySource,
  SourceError,
  traceDemand,
} from '../../autoscaling/simulate/sources.js';
import { parseInstant, TraceError } from '../../autoscaling/simulate/trace.js';
import { loadConfig } from '../../config/load.js';
import type { Db } from '../../db/sql-files.js';
import { systemClock } from '../../util/clock.js';
import { formatDuration, parseDuration } from '../../util/duration.js';
import { CliError } from '../errors.js';
import { withDatabase } from '../database.js';
import { addSettings, DATABASE_SETTINGS } from '../options.js';
import { loadValidConfig } from './template-io.js';

interface SimulateFlags {
  readonly trace?: string;
  readonly config?: string;
  readonly preset?: string;
  readonly compare?: string;
  readonly template?: string;
  readonly organization?: string;
  readonly from?: string;
  readonly to?: string;
  readonly leadTime?: string;
  readonly json?: boolean;
  readonly svg?: string;
}

const MAX_LEAD_TIME_MS = 86_400_000;

function instantFlag(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const at = parseInstant(text.trim());
  if (typeof at === 'string') throw new CliError(`${flag}: ${at}`, 2);
  return at;
}

function leadTimeFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms > MAX_LEAD_TIME_MS) {
    throw new CliError(
      `--lead-time "${text}" must be a duration from 0 to ${formatDuration(MAX_LEAD_TIME_MS)}, e.g. 90s or 5m`,
      2,
    );
  }
  return ms;
}

/** A template file's preset; `preset` undefined = its only preset with prebuilds. */
function configPolicy(file: string, preset: () => string | undefined): PolicySource {
  return {
    async load() {
      const config = await loadValidConfig(file, 'nothing to simulate');
      return presetPolicy(config, preset(), file);
    },
  };
}

interface Sources {
  readonly demand: DemandSource;
  readonly policies: PolicySource[];
}

/** The first policy (a file, or the database's active one), then --compare's for its preset. */
function policiesFor(flags: SimulateFlags, first: PolicySource): PolicySource[] {
  let resolved: string | undefined = flags.preset;
  const policies: PolicySource[] = [
    {
      async load() {
        const loaded = await first.load();
        resolved = loaded.preset;
        return loaded;
      },
    },
  ];
  if (flags.compare !== undefined) policies.push(configPolicy(flags.compare, () => resolved));
  return policies;
}

/** Trace mode: a CSV trace and template files, no database. */
function traceSources(flags: SimulateFlags): Sources {
  if (flags.trace === undefined) {
    throw new CliError(
      'say what demand to replay: --trace FILE --config FILE [--preset P], or the recorded attempts with --template T --preset P',
      2,
    );
  }
  if (flags.config === undefined) {
    throw new CliError(
      '--trace needs --config FILE: the template config whose policy to replay',
      2,
    );
  }
  return {
    demand: traceDemand(flags.trace),
    policies: policiesFor(
      flags,
      configPolicy(flags.config, () => flags.preset),
    ),
  };
}

/**
 * Database mode (--template T --preset P): the recorded attempts, and the preset's active policy
 * unless --config FILE names another one.
 */
function databaseSources(
  flags: SimulateFlags,
  db: Db,
  range: { from?: number; to?: number },
): Sources {
  const template = flags.template as string;
  if (flags.preset === undefined) {
    throw new CliError(
      '--template needs --preset P: the preset whose recorded demand to replay',
      2,
    );
  }
  const ref = {
    template,
    preset: flags.preset,
    ...(flags.organization !== undefined && { organization: flags.organization }),
  };
  const first =
    flags.config !== undefined
      ? configPolicy(flags.config, () => flags.preset)
      : activePolicy(db, ref);
  return {
    demand: recordedDemand(db, ref, { ...range, now: systemClock.now() }),
    policies: policiesFor(flags, first),
  };
}

async function simulateCommand(flags: SimulateFlags & Record<string, unknown>): Promise<void> {
  const config = loadConfig(flags);
  const from = instantFlag(flags.from, '--from');
  const to = instantFlag(flags.to, '--to');
  const leadTimeMs = leadTimeFlag(flags.leadTime);
  const range = { ...(from !== undefined && { from }), ...(to !== undefined && { to }) };
  const run = async (sources: Sources) => {
    const presets: PresetPolicy[] = [];
    // In order: --compare uses the preset the first config resolved.
    for (const source of sources.policies) presets.push(await source.load());
    const demand = await sources.demand.load();
    return runSimulations(demand, presets, {
      ...range,
      ...(leadTimeMs !== undefined && { leadTimeMs }),
      reconcileIntervalMs: config.reconcileInterval,
      settings: autoscalingSettingsFromConfig(config),
    });
  };
  try {
    let reports: SimulationReport[];
    if (flags.template !== undefined) {
      if (flags.trace !== undefined) {
        throw new CliError('give either --trace (a CSV trace) or --template (recorded demand)', 2);
      }
      if (flags.preset === undefined) {
        throw new CliError(
          '--template needs --preset P: the preset whose recorded demand to replay',
          2,
        );
      }
      reports = await withDatabase(flags, ({ pool }) => run(databaseSources(flags, pool, range)));
    } else {
      reports = await run(traceSources(flags));
    }
    if (flags.svg !== undefined) await writeFile(flags.svg, simulationSvg(reports));
    process.stdout.write(
      flags.json === true ? simulationJsonText(reports) : simulationText(reports),
    );
    if (flags.svg !== undefined && flags.json !== true) {
      process.stdout.write(`chart written to ${flags.svg}\n`);
    }
  } catch (error) {
    if (error instanceof TraceError || error instanceof SourceError) {
      throw new CliError(error.message, 1);
    }
    throw error;
  }
}

export function registerSimulate(prebuilds: Command): void {
  addSettings(
    prebuilds
      .command('simulate')
      .description(
        "replay claim demand against a preset's policy before pushing it: hits, misses, hit rate and prebuild-hours, per day (no database needed with --trace)",
      )
      .option(
        '--trace <file>',
        'CSV of claim attempts: a header line with an "at" column of ISO-8601 instants (with Z or an offset), one row per attempt; other columns are ignored',
      )
      .option('--config <file>', 'template config (YAML or JSON) with the policy and schedules')
      .option('--preset <name>', 'preset to simulate (default: the only one with prebuilds)')
      .option(
        '--compare <file>',
        'second template config: its policy for the same preset and demand',
      )
      .option(
        '--template <name>',
        "database mode: replay this template's recorded claim attempts (with --preset), against the preset's active policy unless --config names one",
      )
      .option(
        '--organization <name>',
        'database mode: the organization of --template, when several have a template of that name',
      )
      .option('--from <iso>', 'start, ISO-8601 (default: the start of the first attempt hour)')
      .option('--to <iso>', 'end, exclusive (default: the end of the last attempt hour)')
      .option(
        '--lead-time <duration>',
        'how long a created prebuild takes to become eligible (default: measured; with a trace, --autoscaling-default-lead-time)',
      )
      .option(
        '--json',
        'print {"preset","from","to","lead_time_s","policy","attempts","hits","misses","hit_rate","prebuild_hours","idle_prebuild_hours","days":[...]} ({"a","b"} with --compare)',
      )
      .option('--svg <file>', 'also draw demand, target and eligible prebuilds over time'),
    [
      ...DATABASE_SETTINGS,
      'reconcileInterval',
      'autoscalingMaxTarget',
      'autoscalingDefaultLeadTime',
    ],
  ).action(simulateCommand);
}
