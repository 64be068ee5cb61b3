import { type CompileResult, compileUncached } from './compile.js';
import { ExpressionRunError } from './functions.js';
import type { ExpressionVariables } from './variables.js';

export type { CompileResult, Evaluate } from './compile.js';
export { MAX_EXPRESSION_LENGTH } from './compile.js';
export { ExpressionRunError, FUNCTION_NAMES } from './functions.js';
export type { ExpressionVariables, LocalHour, VariableName } from './variables.js';
export { expressionVariables, VARIABLE_NAMES } from './variables.js';

// Every pass evaluates the same few expressions: compile each text once.
const cache = new Map<string, CompileResult>();
const CACHE_LIMIT = 2000;

/** Compiles (or returns the cached compilation of) an expression. Never throws. */
export function compileExpression(text: string): CompileResult {
  let result = cache.get(text);
  if (result === undefined) {
    result = compileUncached(text);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, result);
  }
  return result;
}

/**
 * Every problem that makes the expression unusable (syntax, unknown variable or function, wrong
 * argument count, a constant clamp with lo > hi), each as one message; empty when it is valid.
 * Template push and validate report each with the expression's path.
 */
export function validateExpression(text: string): readonly string[] {
  const result = compileExpression(text);
  return result.ok ? [] : result.errors;
}

export type ExpressionValue =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

/** Whole up to floating-point noise: (0.1 + 0.2) * 10 counts as 3. */
const WHOLE_TOLERANCE = 1e-9;

/**
 * The pool size an expression asks for: the value must be a whole number (a whole float is
 * fine, and so is one within 1e-9 of a whole number, which is floating-point rounding); NaN,
 * infinities and fractions are errors. The whole number is then clamped to [0, maxTarget].
 */
export function targetFromValue(value: number, maxTarget: number): ExpressionValue {
  if (Number.isNaN(value)) {
    return { ok: false, error: 'the expression gave NaN (for example 0 / 0)' };
  }
  if (!Number.isFinite(value)) {
    return { ok: false, error: `the expression gave ${value} (a division by zero?)` };
  }
  const whole = Math.round(value);
  if (Math.abs(value - whole) > WHOLE_TOLERANCE * Math.max(1, Math.abs(value))) {
    return {
      ok: false,
      error: `the expression gave ${value}, not a whole number: round it with ceil() or floor()`,
    };
  }
  return { ok: true, value: Math.min(Math.max(whole, 0), maxTarget) };
}

/** Compiles (cached) and evaluates an expression to a pool size; never throws. */
export function evaluateExpression(
  text: string,
  variables: ExpressionVariables,
  maxTarget: number,
): ExpressionValue {
  const compiled = compileExpression(text);
  if (!compiled.ok)
    return { ok: false, error: `invalid expression: ${compiled.errors.join('; ')}` };
  let value: number;
  try {
    value = compiled.evaluate(variables);
  } catch (error) {
    if (error instanceof ExpressionRunError) return { ok: false, error: error.message };
    return { ok: false, error: `evaluation failed: ${String(error)}` };
  }
  return targetFromValue(value, maxTarget);
}
