import { z } from 'zod/v4';

import { TemplateConfigSchema } from './config-schema.js';

/**
 * The JSON Schema of the template config, generated from the zod schema the validator uses (as
 * input: defaults are optional). Committed as schema/template-config.schema.json for editors;
 * `npm run schema` regenerates it and a test fails when the committed file is stale. Rules that
 * span fields (overlaps, unique names) are not expressible here: `template validate` has them.
 */
export function templateConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(TemplateConfigSchema, { io: 'input', target: 'draft-2020-12' });
}

export function templateConfigJsonSchemaText(): string {
  return JSON.stringify(templateConfigJsonSchema(), null, 2) + '\n';
}
