import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

import type { ResponseCheck } from '../../src/http/app.js';
import { COMPONENTS } from '../../src/http/components.js';

// ajv-formats is CommonJS: its default export is the plugin, typed as the module.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * ajv in strict mode (unknown keywords and loose schemas are errors) for JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1, with formats (uuid, date-time) checked.
 */
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
addFormats(ajv);
for (const schema of COMPONENTS) ajv.addSchema(schema);

const compiled = new WeakMap<object, ValidateFunction>();

export function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** The problems of `body` against `schema`, one line; undefined when it is valid. */
export function schemaProblems(schema: object, body: unknown): string | undefined {
  const validate = validatorFor(schema);
  if (validate(body)) return undefined;
  return ajv.errorsText(validate.errors, { dataVar: 'body', separator: '; ' });
}

/**
 * The check tests install on their apps (buildTestApp, and every controller a test starts with
 * it): each JSON answer of an /api/v1 route must match the route's schema for its status, and the
 * status must be documented. The schemas are closed, so a field added to an answer without its
 * schema fails here with a 500 `response_contract` error naming the field.
 */
export const strictResponseCheck: ResponseCheck = ({ route, status, schema, body }) => {
  if (schema === undefined) {
    return route.startsWith('/api/') ? `status ${status} is not documented` : undefined;
  }
  return schemaProblems(schema as object, body);
};
