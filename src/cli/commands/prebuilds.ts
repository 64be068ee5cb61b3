import type { Command } from 'commander';

import type { SettingKey } from '../../config/settings.js';
import { prebuildsClient } from '../backends/prebuilds.js';
import { addClientSettings, DATABASE_SETTINGS } from '../options.js';
import { DECISION_KEYS, describeDecisionSettings } from './prebuilds-decision.js';
import { formatPlan, formatStatus } from './prebuilds-format.js';
import { registerSimulate } from './simulate.js';

/**
 * The decision's settings: status and plan decide as the controller does, with the settings it
 * recorded in the database (over the API, the controller computes them); these flags override.
 */
const DECISION_SETTINGS: readonly SettingKey[] = [
  ...DATABASE_SETTINGS,
  ...DECISION_KEYS,
  'autoscalingMaxTarget',
  'autoscalingDefaultLeadTime',
];

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

export function registerPrebuilds(program: Command): void {
  const prebuilds = program
    .command('prebuilds')
    .description(
      'inspect and steer the prebuild pools: status, plan, pause, resume, invalidate, reset, simulate',
    );

  addClientSettings(
    prebuilds
      .command('status')
      .description(
        'per preset: desired, running, ready, starting, stopping, deleting, expired, backoff, status, schedule in force and next change',
      )
      .option('--json', 'print {"presets": [...]} as GET /api/v1/presets does'),
    DECISION_SETTINGS,
  ).action(async (flags: Record<string, unknown>) => {
    const status = await prebuildsClient(flags).status();
    process.stdout.write(
      flags.json === true
        ? json(status)
        : formatStatus(status) + describeDecisionSettings(status.decision_settings),
    );
  });

  addClientSettings(
    prebuilds
      .command('plan')
      .description('what the next reconciliation pass would do and why (writes nothing)')
      .option('--json', 'print {"presets": [...]} as GET /api/v1/presets/plan does'),
    DECISION_SETTINGS,
  ).action(async (flags: Record<string, unknown>) => {
    const plan = await prebuildsClient(flags).plan();
    process.stdout.write(
      flags.json === true
        ? json(plan)
        : formatPlan(plan) + describeDecisionSettings(plan.decision_settings),
    );
  });

  for (const [name, paused, what] of [
    ['pause', true, 'stop every reconciliation action (status and plan keep working)'],
    ['resume', false, 'resume reconciliation'],
  ] as const) {
    addClientSettings(
      prebuilds
        .command(name)
        .description(what)
        .option('--json', 'print {"paused": bool, "changed_by": who}'),
      DATABASE_SETTINGS,
    ).action(async (flags: Record<string, unknown>) => {
      const change = await prebuildsClient(flags).setPaused(paused);
      process.stdout.write(
        flags.json === true
          ? JSON.stringify(change) + '\n'
          : `prebuild reconciliation ${paused ? 'paused' : 'resumed'}\n`,
      );
    });
  }

  for (const [name, what, done] of [
    [
      'invalidate',
      'expire every current prebuild of a preset: the reconciler replaces them',
      'invalidated: its prebuilds created before now will be replaced',
    ],
    [
      'reset',
      'clear the hard limit (or validation failure) of a preset: creation resumes',
      'reset: status healthy, earlier failures no longer count',
    ],
  ] as const) {
    addClientSettings(
      prebuilds
        .command(name)
        .description(what)
        .argument('<preset>', 'preset id, template/preset or organization/template/preset')
        .option('--json', 'print the preset as JSON'),
      DATABASE_SETTINGS,
    ).action(async (ref: string, flags: Record<string, unknown>) => {
      const preset = await prebuildsClient(flags).change(name, ref);
      process.stdout.write(
        flags.json === true
          ? json({ preset })
          : `preset ${preset.organization}/${preset.template}/${preset.preset} (${preset.template_version}) ${done}\n`,
      );
    });
  }

  registerSimulate(prebuilds);
}
