import { type Document, isPair, isScalar, isSeq, visit } from 'yaml';

/**
 * `__proto__` as a key in a JSON or YAML document: depending on the parser it changes the parsed
 * object's prototype (prototype pollution), becomes an own property that later code trips over,
 * or silently vanishes. Input that has one is refused, everywhere, with this message.
 */
export const FORBIDDEN_KEY = '__proto__';

export function forbiddenKeyMessage(path: string): string {
  return `a "${FORBIDDEN_KEY}" key is not allowed (at ${path}): it could change the prototype of the parsed object; rename or remove it`;
}

const join = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

/** The path of the first own `__proto__` key in a `JSON.parse` result, or null. */
export function findForbiddenKey(value: unknown, path = ''): string | null {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findForbiddenKey(item, join(path, index));
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  for (const key of Object.keys(value)) {
    if (key === FORBIDDEN_KEY) return join(path, key);
    const found = findForbiddenKey((value as Record<string, unknown>)[key], join(path, key));
    if (found !== null) return found;
  }
  return null;
}

/** The same for a parsed YAML (or JSON-as-YAML) document, before it becomes JavaScript values. */
export function findForbiddenYamlKey(document: Document): string | null {
  let found: string | null = null;
  visit(document, {
    Pair(_key, pair, ancestors) {
      if (!isScalar(pair.key) || pair.key.value !== FORBIDDEN_KEY) return undefined;
      let path = '';
      for (const [i, node] of ancestors.entries()) {
        const next = ancestors[i + 1] ?? pair;
        if (isSeq(node)) path = join(path, node.items.indexOf(next));
        else if (isPair(node) && isScalar(node.key)) path = join(path, String(node.key.value));
      }
      found = join(path, FORBIDDEN_KEY);
      return visit.BREAK;
    },
  });
  return found;
}
