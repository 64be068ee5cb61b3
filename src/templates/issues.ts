import type { z } from 'zod/v4';

/** One problem with a template config: where (`presets[1].prebuilds.instances`) and what. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export const ROOT_PATH = '(root)';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['presets', 1, 'name']` -> `presets[1].name`; odd keys are quoted: `tags["a b"]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && IDENTIFIER.test(part))
      out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out === '' ? ROOT_PATH : out;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') {
    return `the text ${JSON.stringify(value.length > 40 ? value.slice(0, 37) + '...' : value)}`;
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? `the number ${value}` : `the fraction ${value}`;
  }
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  record: 'a mapping (key: value)',
};

/**
 * Error messages for the config validator, written for a person editing a YAML file. Issues
 * without a case here keep zod's message (custom checks bring their own).
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'is required';
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    return `expected ${expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (issue.code === 'too_small') {
    if (issue.origin === 'string') {
      return Number(issue.minimum) <= 1
        ? 'must not be empty'
        : `must be at least ${issue.minimum} characters`;
    }
    if (issue.origin === 'array') return `must have at least ${issue.minimum} entries`;
    return `must be at least ${issue.minimum}`;
  }
  if (issue.code === 'too_big') {
    if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
    if (issue.origin === 'array') return `must have at most ${issue.maximum} entries`;
    return `must be at most ${issue.maximum}`;
  }
  return undefined;
};

/** An issue before formatting: the path as segments, for ordering. */
export interface RawIssue {
  readonly segments: readonly PropertyKey[];
  readonly message: string;
}

/** zod issues as raw issues; an unknown key becomes one issue on its own path. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): RawIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        segments: [...issue.path, key],
        message: 'unknown field',
      }));
    }
    return [{ segments: issue.path, message: issue.message }];
  });
}

function child(node: unknown, key: PropertyKey): unknown {
  return typeof node === 'object' && node !== null
    ? (node as Record<PropertyKey, unknown>)[key]
    : undefined;
}

/**
 * Orders issues as their fields appear in the input: object keys keep the document's order
 * once parsed, list entries go by index, and a missing field sorts after the present ones.
 */
function compareInDocumentOrder(input: unknown, a: RawIssue, b: RawIssue): number {
  let node = input;
  const length = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const x = a.segments[i] as PropertyKey;
    const y = b.segments[i] as PropertyKey;
    if (x !== y) {
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      const keys = typeof node === 'object' && node !== null ? Object.keys(node) : [];
      const rank = (key: PropertyKey) => {
        const index = keys.indexOf(String(key));
        return index < 0 ? keys.length : index;
      };
      return rank(x) - rank(y);
    }
    node = child(node, x);
  }
  return a.segments.length - b.segments.length;
}

/** Formats, orders (document order, stable) and de-duplicates issues. */
export function finishIssues(input: unknown, issues: readonly RawIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return [...issues]
    .sort((a, b) => compareInDocumentOrder(input, a, b))
    .map((issue) => ({ path: formatIssuePath(issue.segments), message: issue.message }))
    .filter((issue) => {
      const key = `${issue.path}\u0000${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

export function formatIssues(issues: readonly ConfigIssue[]): string[] {
  return issues.map((issue) => `${issue.path}: ${issue.message}`);
}
