import type { Command } from 'commander';

import { templateConfigJsonSchemaText } from '../../templates/json-schema.js';
import { contentHash } from '../../templates/mapping.js';
import type { PushPlan, PushResult } from '../../templates/push.js';
import { templatesClient } from '../backends/templates.js';
import { addClientSettings, DATABASE_SETTINGS } from '../options.js';
import { loadValidConfig, readConfigText, validateFile } from './template-io.js';
import { formatTemplateList } from './template-list-format.js';
import { formatIssues } from '../../templates/issues.js';

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

function describePlan(plan: PushPlan): string {
  const where = `${plan.organization}/${plan.template}`;
  const head =
    plan.action === 'unchanged'
      ? `${where} is unchanged: the active version ${plan.version} has the same content (nothing would be written)`
      : plan.action === 'create'
        ? `would create template ${where}${plan.organizationExists ? '' : ` (and organization ${plan.organization})`} with active version ${plan.version}`
        : `would push ${where} as version ${plan.version} and make it active`;
  return [head, ...plan.changes.map((line) => `  ${line}`)].join('\n') + '\n';
}

function describePush(result: PushResult): string {
  const where = `${result.template.organization}/${result.template.name}`;
  if (!result.changed) {
    return `${where} is unchanged: the active version ${result.version.name} has the same content (nothing written)\n`;
  }
  return result.templateCreated
    ? `created template ${where}; version ${result.version.name} is active\n`
    : `pushed ${where}; version ${result.version.name} is active\n`;
}

export function registerTemplate(program: Command): void {
  const template = program
    .command('template')
    .description('validate, push and list templates (config files in YAML or JSON)');

  template
    .command('validate')
    .description('check a template config file and report every problem (no database needed)')
    .argument('<file>', 'YAML or JSON file, - for standard input')
    .option('--json', 'print the result as JSON (the normalised config when valid)')
    .action(async (file: string, flags: { json?: boolean }) => {
      if (flags.json) {
        const result = await validateFile(file);
        process.stdout.write(
          json(
            result.ok
              ? { valid: true, content_hash: contentHash(result.config), config: result.config }
              : { valid: false, issues: result.issues },
          ),
        );
        if (!result.ok) {
          for (const line of formatIssues(result.issues)) process.stderr.write(line + '\n');
          process.exitCode = 1;
        }
        return;
      }
      const config = await loadValidConfig(file, 'not valid');
      const prebuilds = config.presets.filter((preset) => preset.prebuilds).length;
      process.stdout.write(
        `${file} is valid: template ${config.organization}/${config.name}, ` +
          `${config.presets.length} preset(s), ${prebuilds} with prebuilds\n`,
      );
    });

  addClientSettings(
    template
      .command('push')
      .description(
        'validate a template config file and make it the active version (identical content is a no-op)',
      )
      .argument('<file>', 'YAML or JSON file, - for standard input')
      .option('--dry-run', 'validate and print what would change, write nothing')
      .option('--json', 'print the result as JSON'),
    DATABASE_SETTINGS,
  ).action(async (file: string, flags: Record<string, unknown>) => {
    const text = await readConfigText(file);
    const config = await loadValidConfig(file, 'nothing was pushed', text);
    const client = templatesClient(flags);
    if (flags.dryRun === true) {
      const plan = await client.plan({ text, config });
      process.stdout.write(flags.json === true ? json({ plan }) : describePlan(plan));
      return;
    }
    const result = await client.push({ text, config });
    process.stdout.write(
      flags.json === true
        ? json({ template: result.template, version: result.version, changed: result.changed })
        : describePush(result),
    );
  });

  addClientSettings(
    template
      .command('list')
      .description('list templates with their active version, presets and prebuild config')
      .option('--json', 'print {"templates": [...]} as the API does'),
    DATABASE_SETTINGS,
  ).action(async (flags: Record<string, unknown>) => {
    const { templates, unreadable } = await templatesClient(flags).list();
    process.stdout.write(
      flags.json === true ? json({ templates, unreadable }) : formatTemplateList(templates),
    );
    for (const bad of unreadable) {
      process.stderr.write(
        `prebuild-controller: template ${bad.name} (${bad.id}) left out: its stored row cannot be read: ${bad.error}\n`,
      );
    }
  });

  template
    .command('schema')
    .description('print the JSON Schema of template config files (for editors)')
    .action(() => {
      process.stdout.write(templateConfigJsonSchemaText());
    });
}
