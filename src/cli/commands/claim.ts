import { randomBytes } from 'node:crypto';

import type { Command } from 'commander';

import { CliError } from '../errors.js';
import { addClientSettings, DATABASE_SETTINGS } from '../options.js';
import { runCreate } from './workspace-create.js';

/** `<preset>-<6 hex>`, reduced to what a workspace name allows. */
export function defaultWorkspaceName(preset: string): string {
  const base = preset
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 50);
  return `${base || 'ws'}-${randomBytes(3).toString('hex')}`;
}

/**
 * `claim --preset P --user U`: hand a user a ready prebuild of a preset (a normal build when none
 * is ready), the shortcut of `workspaces create` for demos and scripts.
 */
export function registerClaim(program: Command): void {
  addClientSettings(
    program
      .command('claim')
      .description(
        'give a user a ready prebuilt workspace of a preset (a new build when none is ready)',
      )
      .requiredOption('--preset <name>', 'preset name (or template/preset)')
      .requiredOption('--user <user>', 'the new owner: username or id')
      .option('--template <name>', 'template of the preset (needed when several have the name)')
      .option('--name <name>', 'workspace name (default: <preset>-<random>)')
      .option('--json', 'print {"workspace", "claimed", "build"} as the API does'),
    DATABASE_SETTINGS,
  ).action(async (flags: Record<string, unknown>) => {
    const ref = flags.preset as string;
    const parts = ref.split('/');
    const presetName = parts.pop() as string;
    const fromRef = parts.pop();
    const organization = parts.pop() ?? null;
    const flag = flags.template as string | undefined;
    if (flag !== undefined && fromRef !== undefined && flag !== fromRef) {
      throw new CliError(`--preset ${ref} names template ${fromRef} but --template is ${flag}`, 2);
    }
    const templateName = flag ?? fromRef ?? null;
    await runCreate(flags, async (client) => {
      const found = await client.presets(presetName, templateName, organization);
      if (found.length === 0) {
        throw new CliError(`no preset "${ref}" on the active version of a template`);
      }
      if (found.length > 1) {
        const where = found.map((p) => `${p.organization_name}/${p.template_name}/${p.name}`);
        throw new CliError(
          `preset "${ref}" is in several templates (${where.join(', ')}): pass --template`,
        );
      }
      const preset = found[0] as (typeof found)[number];
      return {
        owner: flags.user as string,
        template: preset.template_name,
        organization: preset.organization_name,
        preset: preset.name,
        name: (flags.name as string | undefined) ?? defaultWorkspaceName(preset.name),
      };
    });
  });
}
