import type { Command } from 'commander';
import { DateTime } from 'luxon';

import { previewDesired, previewRuns } from '../../domain/schedule/preview.js';
import type { PrebuildScheduleConfig } from '../../domain/schedule/types.js';
import type { TemplateConfig } from '../../templates/config-schema.js';
import { formatDuration, parseDuration } from '../../util/duration.js';
import { CliError } from '../errors.js';
import { loadValidConfig } from './template-io.js';

const HOUR = 3_600_000;
const MAX_POINTS = 100_000;
/** Presets with a fixed pool size are listed in UTC: the zone changes nothing for them. */
const FIXED_POOL_ZONE = 'UTC';

interface PreviewFlags {
  readonly from?: string;
  readonly to?: string;
  readonly step: string;
  readonly json?: boolean;
}

function parseInstant(text: string, flag: string): Date {
  const at = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || !Number.isFinite(at.getTime())) {
    throw new CliError(
      `${flag} "${text}" is not an ISO-8601 date-time, e.g. 2026-11-23T08:00:00Z`,
      2,
    );
  }
  return at;
}

export interface PreviewRange {
  readonly from: Date;
  readonly to: Date;
  readonly stepMs: number;
}

/** Default: from the start of the current UTC hour, for 7 days, in 1-hour steps. */
export function previewRange(flags: PreviewFlags, now: Date): PreviewRange {
  const from = flags.from
    ? parseInstant(flags.from, '--from')
    : new Date(Math.floor(now.getTime() / HOUR) * HOUR);
  const to = flags.to ? parseInstant(flags.to, '--to') : new Date(from.getTime() + 7 * 24 * HOUR);
  const stepMs = parseDuration(flags.step);
  if (stepMs === undefined || stepMs <= 0) {
    throw new CliError(`--step "${flags.step}" must be a positive duration such as 15m or 1h`, 2);
  }
  if (to.getTime() <= from.getTime()) throw new CliError('--to must be after --from', 2);
  if ((to.getTime() - from.getTime()) / stepMs > MAX_POINTS) {
    throw new CliError(`the range has more than ${MAX_POINTS} steps: use a larger --step`, 2);
  }
  return { from, to, stepMs };
}

export interface PresetSchedule {
  readonly name: string;
  readonly config: PrebuildScheduleConfig;
}

/** Presets with prebuilds (those without have no pool and are left out). */
export function presetSchedules(config: TemplateConfig): PresetSchedule[] {
  return config.presets.flatMap((preset) =>
    preset.prebuilds
      ? [
          {
            name: preset.name,
            config: {
              instances: preset.prebuilds.instances,
              timezone: preset.prebuilds.scheduling?.timezone ?? FIXED_POOL_ZONE,
              schedules: preset.prebuilds.scheduling?.schedule ?? [],
            },
          },
        ]
      : [],
  );
}

export function previewJson(presets: readonly PresetSchedule[], range: PreviewRange): string {
  return JSON.stringify({
    presets: presets.map(({ name, config }) => ({
      name,
      timezone: config.timezone,
      points: previewDesired(config, range.from, range.to, range.stepMs).map((point) => ({
        at: point.at.toISOString(),
        desired: point.desired,
      })),
    })),
  });
}

function localTime(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('ccc yyyy-MM-dd HH:mm ZZ');
}

/** One table per preset, consecutive steps with the same count merged into one row. */
export function previewTable(presets: readonly PresetSchedule[], range: PreviewRange): string {
  const lines = [
    `desired pool size from ${range.from.toISOString()} to ${range.to.toISOString()}, sampled every ${formatDuration(range.stepMs)}`,
  ];
  if (presets.length === 0) lines.push('', 'no preset has prebuilds');
  for (const { name, config } of presets) {
    lines.push(
      '',
      `preset ${name} (timezone ${config.timezone}; ${config.instances} when no schedule matches)`,
    );
    const runs = previewRuns(previewDesired(config, range.from, range.to, range.stepMs), range.to);
    const rows = runs.map((run) => [
      localTime(run.from, config.timezone),
      localTime(run.to, config.timezone),
      String(run.desired),
      run.schedule === null ? '-' : `${config.schedules[run.schedule]?.cron ?? ''}`,
    ]);
    const header = ['from', 'until', 'desired', 'schedule'];
    const widths = header.map((title, column) =>
      Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
    );
    for (const row of [header, ...rows]) {
      lines.push(
        '  ' +
          row
            .map((cell, column) => cell.padEnd(widths[column] as number))
            .join('  ')
            .trimEnd(),
      );
    }
  }
  return lines.join('\n') + '\n';
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('prebuild schedules');
  schedule
    .command('preview')
    .description(
      'show the desired prebuild pool size per preset of a template config over time (no database needed)',
    )
    .argument('<file>', 'YAML or JSON template config, - for standard input')
    .option('--from <iso>', 'start, ISO-8601 (default: the start of the current UTC hour)')
    .option('--to <iso>', 'end, exclusive, ISO-8601 (default: 7 days after --from)')
    .option('--step <duration>', 'time between points', '1h')
    .option('--json', 'print {"presets":[{"name","timezone","points":[{"at","desired"}]}]}')
    .action(async (file: string, flags: PreviewFlags) => {
      const range = previewRange(flags, new Date());
      const config = await loadValidConfig(file, 'nothing to preview');
      const presets = presetSchedules(config);
      process.stdout.write(
        flags.json ? previewJson(presets, range) + '\n' : previewTable(presets, range),
      );
    });
}
