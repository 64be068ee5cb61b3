import type { Command } from 'commander';

import type { SettingKey } from '../../config/settings.js';
import {
  invalidatePreset,
  presetsPlan,
  presetsStatus,
  resetPreset,
  resolvePresetRef,
} from '../../prebuilds/admin.js';
import { prebuildOptionsFromConfig } from '../../prebuilds/options.js';
import { setReconciliationPaused } from '../../prebuilds/settings.js';
import { systemClock } from '../../util/clock.js';
import { withDatabase } from '../database.js';
import { addSettings, DATABASE_SETTINGS } from '../options.js';
import { formatPlan, formatStatus } from './prebuilds-format.js';
import { registerSimulate } from './simulate.js';

/** The decision's settings: status and plan must decide as the controller does. */
const DECISION_SETTINGS: readonly SettingKey[] = [
  ...DATABASE_SETTINGS,
  'backoffBase',
  'backoffCap',
  'backoffLookback',
  'failureHardLimit',
  'prebuildCleanupGrace',
  'prebuildDeleteRetryLimit',
];

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

export function registerPrebuilds(program: Command): void {
  const prebuilds = program
    .command('prebuilds')
    .description(
      'inspect and steer the prebuild pools: status, plan, pause, resume, invalidate, reset, simulate',
    );

  addSettings(
    prebuilds
      .command('status')
      .description(
        'per preset: desired, running, ready, starting, stopping, deleting, expired, backoff, status, schedule in force and next change',
      )
      .option('--json', 'print {"presets": [...]} as GET /api/v1/presets does'),
    DECISION_SETTINGS,
  ).action(async (flags: Record<string, unknown>) => {
    const status = await withDatabase(flags, ({ config, pool }) =>
      presetsStatus(pool, systemClock.now(), prebuildOptionsFromConfig(config)),
    );
    process.stdout.write(flags.json === true ? json(status) : formatStatus(status));
  });

  addSettings(
    prebuilds
      .command('plan')
      .description('what the next reconciliation pass would do and why (writes nothing)')
      .option('--json', 'print {"presets": [...]} as GET /api/v1/presets/plan does'),
    DECISION_SETTINGS,
  ).action(async (flags: Record<string, unknown>) => {
    const plan = await withDatabase(flags, ({ config, pool }) =>
      presetsPlan(pool, systemClock.now(), prebuildOptionsFromConfig(config)),
    );
    process.stdout.write(flags.json === true ? json(plan) : formatPlan(plan));
  });

  for (const [name, paused, what] of [
    ['pause', true, 'stop every reconciliation action (status and plan keep working)'],
    ['resume', false, 'resume reconciliation'],
  ] as const) {
    addSettings(
      prebuilds.command(name).description(what).option('--json', 'print {"paused": bool}'),
      DATABASE_SETTINGS,
    ).action(async (flags: Record<string, unknown>) => {
      await withDatabase(flags, ({ pool }) =>
        setReconciliationPaused(pool, paused, systemClock.now()),
      );
      process.stdout.write(
        flags.json === true
          ? JSON.stringify({ paused }) + '\n'
          : `prebuild reconciliation ${paused ? 'paused' : 'resumed'}\n`,
      );
    });
  }

  for (const [name, change, what, done] of [
    [
      'invalidate',
      invalidatePreset,
      'expire every current prebuild of a preset: the reconciler replaces them',
      'invalidated: its prebuilds created before now will be replaced',
    ],
    [
      'reset',
      resetPreset,
      'clear the hard limit (or validation failure) of a preset: creation resumes',
      'reset: status healthy, earlier failures no longer count',
    ],
  ] as const) {
    addSettings(
      prebuilds
        .command(name)
        .description(what)
        .argument('<preset>', 'preset id, template/preset or organization/template/preset')
        .option('--json', 'print the preset as JSON'),
      DATABASE_SETTINGS,
    ).action(async (ref: string, flags: Record<string, unknown>) => {
      const preset = await withDatabase(flags, async ({ pool }) =>
        change(pool, await resolvePresetRef(pool, ref), systemClock.now()),
      );
      process.stdout.write(
        flags.json === true
          ? json({ preset })
          : `preset ${preset.organization}/${preset.template}/${preset.preset} (${preset.template_version}) ${done}\n`,
      );
    });
  }

  registerSimulate(prebuilds);
}
