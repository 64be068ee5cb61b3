/**
 * The functions an autoscaling expression can call (Coder's set). Each has an arity checked when
 * the expression is compiled, so a wrong call is rejected at push rather than at run time.
 */

/** A run-time failure of a well-formed expression (the decision falls back and reports it). */
export class ExpressionRunError extends Error {
  override readonly name = 'ExpressionRunError';
}

export interface ExpressionFunction {
  /** Smallest and largest argument count (Infinity = variadic). */
  readonly minArgs: number;
  readonly maxArgs: number;
  /** How the arguments read in messages: `clamp(value, lo, hi)`. */
  readonly signature: string;
  readonly apply: (args: readonly number[]) => number;
}

function clamp(args: readonly number[]): number {
  const [value, lo, hi] = args as [number, number, number];
  if (lo > hi) {
    throw new ExpressionRunError(`clamp: the lower bound ${lo} is above the upper bound ${hi}`);
  }
  return Math.min(Math.max(value, lo), hi);
}

// A Map, not an object literal: a name like "constructor" or "__proto__" finds nothing.
export const FUNCTIONS: ReadonlyMap<string, ExpressionFunction> = new Map<
  string,
  ExpressionFunction
>([
  [
    'min',
    { minArgs: 1, maxArgs: Infinity, signature: 'min(a, b, ...)', apply: (a) => Math.min(...a) },
  ],
  [
    'max',
    { minArgs: 1, maxArgs: Infinity, signature: 'max(a, b, ...)', apply: (a) => Math.max(...a) },
  ],
  [
    'ceil',
    { minArgs: 1, maxArgs: 1, signature: 'ceil(x)', apply: (a) => Math.ceil(a[0] as number) },
  ],
  [
    'floor',
    { minArgs: 1, maxArgs: 1, signature: 'floor(x)', apply: (a) => Math.floor(a[0] as number) },
  ],
  ['abs', { minArgs: 1, maxArgs: 1, signature: 'abs(x)', apply: (a) => Math.abs(a[0] as number) }],
  ['clamp', { minArgs: 3, maxArgs: 3, signature: 'clamp(value, lo, hi)', apply: clamp }],
]);

export const FUNCTION_NAMES: readonly string[] = [...FUNCTIONS.keys()];

const plural = (n: number) => `${n} argument${n === 1 ? '' : 's'}`;

/** Null when `count` arguments fit the function, else the message. */
export function arityProblem(name: string, fn: ExpressionFunction, count: number): string | null {
  if (count >= fn.minArgs && count <= fn.maxArgs) return null;
  const wanted =
    fn.maxArgs === Infinity
      ? `at least ${plural(fn.minArgs)}`
      : fn.minArgs === fn.maxArgs
        ? plural(fn.minArgs)
        : `${fn.minArgs} to ${fn.maxArgs} arguments`;
  return `${name} takes ${wanted} (${fn.signature}), got ${count}`;
}
