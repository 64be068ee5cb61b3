import { readFileSync } from 'node:fs';

import { sql } from 'slonik';
import { z } from 'zod';

import type { Db } from '../../src/db/sql-files.js';
import type { TemplateConfig } from '../../src/templates/config-schema.js';
import { validateTemplateText } from '../../src/templates/validate.js';

export const EXAMPLE_PATH = new URL('../../examples/dev-env.yaml', import.meta.url).pathname;
export const EXAMPLE = readFileSync(EXAMPLE_PATH, 'utf8');

export function validConfig(text: string): TemplateConfig {
  const result = validateTemplateText(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

/** The example with another name (and optionally more text appended to the YAML). */
export function exampleNamed(name: string, replace: [string, string][] = []): string {
  let text = EXAMPLE.replace(/^name: dev-env$/m, `name: ${name}`);
  for (const [from, to] of replace) {
    if (!text.includes(from)) throw new Error(`example has no ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

const TEMPLATE_TABLES = [
  'organizations',
  'templates',
  'template_versions',
  'template_version_presets',
  'template_version_preset_parameters',
  'template_version_preset_prebuild_schedules',
] as const;

/** Row counts of every table a push writes to. */
export async function templateRowCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TEMPLATE_TABLES) {
    counts[table] = await db.oneFirst(
      sql.type(
        z.object({ n: z.number() }),
      )`SELECT count(*)::int AS n FROM ${sql.identifier([table])}`,
    );
  }
  return counts;
}
