/**
 * The one rule for text the API and the CLI accept: PostgreSQL stores neither NUL characters
 * (`text` refuses 0x00, `jsonb` refuses `\u0000`) nor unpaired UTF-16 surrogates (invalid in
 * UTF-8 and in `jsonb`), so such text is refused at the edge, naming the field, before it can
 * become a raw database error. Every validator uses it: the template config, the API's bodies,
 * queries and path parameters, and the services the CLI calls.
 */

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with the text, or undefined when it is fine. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL';
  const lone = LONE_SURROGATE.exec(text);
  if (lone) {
    const unit = lone[0].charCodeAt(0).toString(16).toUpperCase();
    return `must not contain an unpaired UTF-16 surrogate (U+${unit})`;
  }
  return undefined;
}

export interface TextIssue {
  /** Where: object keys and list indexes from the root of the value. */
  readonly segments: readonly (string | number)[];
  readonly message: string;
}

/**
 * Every string in a JSON-like value (objects, lists, keys included) that breaks the rule. A bad
 * key is reported at the key itself (`parameters["k\u0000"]`).
 */
export function findTextProblems(
  value: unknown,
  segments: readonly (string | number)[] = [],
): TextIssue[] {
  if (typeof value === 'string') {
    const message = textProblem(value);
    return message ? [{ segments, message }] : [];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => findTextProblems(item, [...segments, index]));
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.entries(value).flatMap(([key, item]) => {
      const keyProblem = textProblem(key);
      const here = [...segments, key];
      return keyProblem
        ? [{ segments: here, message: `key ${keyProblem}` }, ...findTextProblems(item, here)]
        : findTextProblems(item, here);
    });
  }
  return [];
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['presets', 1, 'name']` -> `presets[1].name`; odd keys are quoted: `tags["a b"]`. */
export function formatPath(path: readonly PropertyKey[], root = '(root)'): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && IDENTIFIER.test(part))
      out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out === '' ? root : out;
}
