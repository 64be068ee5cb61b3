/**
 * Small builders for the JSON Schemas of the API's requests and responses (OpenAPI 3.1 / JSON
 * Schema 2020-12). Response objects are closed (`additionalProperties: false`) and list every
 * field as required unless told otherwise, so a test that validates real responses fails when a
 * field is added to a response without its schema, or a documented one disappears.
 */
export type JsonSchema = { readonly [key: string]: unknown };

export const string: JsonSchema = { type: 'string' };
export const integer: JsonSchema = { type: 'integer' };
export const number: JsonSchema = { type: 'number' };
export const boolean: JsonSchema = { type: 'boolean' };
export const dateTime: JsonSchema = { type: 'string', format: 'date-time' };
export const uuid: JsonSchema = { type: 'string', format: 'uuid' };
/** Any JSON value (free-form data such as a job's input). */
export const anyValue: JsonSchema = {};

export const describe = (schema: JsonSchema, description: string): JsonSchema => ({
  ...schema,
  description,
});

export const enumOf = (values: readonly string[], description?: string): JsonSchema => ({
  type: 'string',
  enum: [...values],
  ...(description ? { description } : {}),
});

/** The schema or null. */
export function nullable(schema: JsonSchema): JsonSchema {
  const type = schema.type;
  if (typeof type !== 'string') return { anyOf: [schema, { type: 'null' }] };
  const withNull: Record<string, unknown> = { ...schema, type: [type, 'null'] };
  if (Array.isArray(schema.enum)) withNull.enum = [...(schema.enum as unknown[]), null];
  return withNull;
}

export const arrayOf = (items: JsonSchema, description?: string): JsonSchema => ({
  type: 'array',
  items,
  ...(description ? { description } : {}),
});

/** An object with string values (parameters, tags, ...). */
export const stringMap = (description?: string): JsonSchema => ({
  type: 'object',
  additionalProperties: { type: 'string' },
  ...(description ? { description } : {}),
});

/** A closed object: every property required except `optional`, no others allowed. */
export function object(
  properties: Record<string, JsonSchema>,
  options: { readonly optional?: readonly string[]; readonly description?: string } = {},
): JsonSchema {
  const optional = new Set(options.optional ?? []);
  for (const key of optional) {
    if (!(key in properties)) throw new Error(`optional property ${key} is not a property`);
  }
  return {
    type: 'object',
    ...(options.description ? { description: options.description } : {}),
    additionalProperties: false,
    required: Object.keys(properties).filter((key) => !optional.has(key)),
    properties,
  };
}

/**
 * A schema shared by several routes: registered once with the app (`app.addSchema`, see
 * src/http/components.ts) and referenced with `ref`, so the OpenAPI document lists it once under
 * `components.schemas.<id>`.
 */
export function component(id: string, schema: JsonSchema): JsonSchema {
  return { $id: id, ...schema };
}

/** A reference to a component. */
export function ref(schema: JsonSchema): JsonSchema {
  if (typeof schema.$id !== 'string') throw new Error('ref() needs a component() schema');
  return { $ref: `${schema.$id}#` };
}

/** The body of every error answer: `{"code", "message", "details": [{"path", "message"}]}`. */
export const ErrorBody = component(
  'Error',
  object(
    {
      code: describe(
        string,
        'stable error code: bad_request, unauthorized, forbidden, not_found, conflict, internal, ...',
      ),
      message: string,
      details: arrayOf(
        object({ path: string, message: string }),
        'one entry per problem, with the field path',
      ),
    },
    { description: 'An error' },
  ),
);

/** The error statuses every /api/v1 route may answer (auth and server errors), plus `extra`. */
export function errors(...extra: readonly (400 | 404 | 409)[]): Record<string, JsonSchema> {
  const statuses = [401, 403, 500, ...extra].sort((a, b) => a - b);
  // `4xx`: what a client error of another kind looks like (415 for an unknown content type, ...).
  const error = ref(ErrorBody);
  return { ...Object.fromEntries(statuses.map((status) => [status, error])), '4xx': error };
}

/** Path parameters, all strings. */
export function params(names: Record<string, string>): JsonSchema {
  return {
    type: 'object',
    required: Object.keys(names),
    properties: Object.fromEntries(
      Object.entries(names).map(([name, description]) => [name, { type: 'string', description }]),
    ),
  };
}
