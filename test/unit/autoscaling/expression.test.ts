import { describe, expect, it } from 'vitest';

import {
  compileExpression,
  evaluateExpression,
  type ExpressionVariables,
  expressionVariables,
  MAX_EXPRESSION_LENGTH,
  targetFromValue,
  validateExpression,
  VARIABLE_NAMES,
} from '../../../src/domain/autoscaling/index.js';
import { windows } from './fixtures.js';

/** Every variable with a distinct value, so a mix-up shows. */
const VARS: ExpressionVariables = expressionVariables(
  4,
  { running: 7, eligible: 3, starting: 2, stopping: 1, deleting: 5, expired: 6 },
  windows({ 5: 1, 10: 3, 30: 9, 60: 12, 120: 24 }, { 5: 2, 10: 4, 30: 6, 60: 8, 120: 10 }),
  { hour: 14, weekday: 3 },
);

const run = (text: string, variables = VARS, max = 100) => evaluateExpression(text, variables, max);

describe("Coder's documented examples", () => {
  // Values with VARS: claims_10m 3, claim_rate_30m 0.3, claims_60m 12, misses_60m 8.
  it.each([
    ['min(claims_10m * 10, 20)', 20],
    ['max(scheduled_target, ceil(claim_rate_30m * 8))', 4],
    ['max(2, min((claims_60m + misses_60m) * 2, 30))', 30],
    ['clamp(claims_10m * 5, 1, 15)', 15],
  ])('%s = %i', (text, expected) => {
    expect(validateExpression(text)).toEqual([]);
    expect(run(text)).toEqual({ ok: true, value: expected });
  });

  it('evaluate as in the docs with quiet demand too', () => {
    const quiet = expressionVariables(
      1,
      { running: 0, eligible: 0, starting: 0, stopping: 0, deleting: 0, expired: 0 },
      windows({ 10: 1, 30: 4 }),
      { hour: 0, weekday: 0 },
    );
    expect(run('min(claims_10m * 10, 20)', quiet)).toEqual({ ok: true, value: 10 });
    // ceil(4/30 * 8) = ceil(1.07) = 2
    expect(run('max(scheduled_target, ceil(claim_rate_30m * 8))', quiet)).toEqual({
      ok: true,
      value: 2,
    });
    expect(run('max(2, min((claims_60m + misses_60m) * 2, 30))', quiet)).toEqual({
      ok: true,
      value: 2,
    });
    expect(run('clamp(claims_10m * 5, 1, 15)', quiet)).toEqual({ ok: true, value: 5 });
  });
});

describe('variables', () => {
  const expected: Record<string, number> = {
    scheduled_target: 4,
    running: 7,
    eligible: 3,
    starting: 2,
    stopping: 1,
    deleting: 5,
    expired: 6,
    claims_5m: 1,
    claims_10m: 3,
    claims_30m: 9,
    claims_60m: 12,
    claims_120m: 24,
    misses_5m: 2,
    misses_10m: 4,
    misses_30m: 6,
    misses_60m: 8,
    misses_120m: 10,
    claim_rate_5m: 1 / 5,
    claim_rate_10m: 3 / 10,
    claim_rate_30m: 9 / 30,
    claim_rate_60m: 12 / 60,
    claim_rate_120m: 24 / 120,
    hour: 14,
    weekday: 3,
  };

  it('are exactly the documented names', () => {
    expect([...VARIABLE_NAMES].sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s reads %d', (name, value) => {
    const compiled = compileExpression(`${name} * 1000`);
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    expect(compiled.evaluate(VARS)).toBeCloseTo(value * 1000, 9);
    expect(compiled.variables).toEqual([name]);
  });
});

describe('operators and functions', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 / 4 * 2', 5],
    ['10 - 4 - 3', 3],
    ['-3 + 5', 2],
    ['-(3 - 5)', 2],
    ['+4', 4],
    ['--4', 4],
    ['2 * -3 + 10', 4],
    ['min(5, 3, 9)', 3],
    ['max(5, 3, 9)', 9],
    ['min(7)', 7],
    ['ceil(2.1)', 3],
    ['floor(2.9)', 2],
    ['abs(-6)', 6],
    ['abs(0 - 6)', 6],
    ['clamp(20, 1, 15)', 15],
    ['clamp(-2, 1, 15)', 1],
    ['clamp(7, 1, 15)', 7],
    ['clamp(3, 3, 3)', 3],
    ['0.5 * 4', 2],
    ['.5 * 4', 2],
    ['1e1', 10],
    ['(0.1 + 0.2) * 10', 3],
    ['claim_rate_30m * 30', 9],
    ['  max( 1 ,2 )  ', 2],
  ])('%s = %d', (text, expected) => {
    expect(run(text)).toEqual({ ok: true, value: expected });
  });

  it('does integer division as float division, as Coder does', () => {
    expect(run('7 / 2 * 2')).toEqual({ ok: true, value: 7 });
  });

  it('allows infinities inside the expression when the result is finite', () => {
    expect(run('min(claims_10m / 0, 5)')).toEqual({ ok: true, value: 5 });
  });
});

describe('result rules', () => {
  it.each([
    ['7 / 2', /3\.5, not a whole number/],
    ['claim_rate_30m', /0\.3, not a whole number.*ceil\(\) or floor\(\)/],
    ['1 / 0', /Infinity \(a division by zero\?\)/],
    ['-1 / 0', /-Infinity/],
    ['0 / 0', /NaN/],
    ['min(0 / 0, 1)', /NaN/],
  ])('%s is an error', (text, message) => {
    const result = run(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  it('clamps to [0, maxTarget]', () => {
    expect(run('-5')).toEqual({ ok: true, value: 0 });
    expect(run('500')).toEqual({ ok: true, value: 100 });
    expect(run('500', VARS, 30)).toEqual({ ok: true, value: 30 });
    expect(run('3', VARS, 0)).toEqual({ ok: true, value: 0 });
  });

  it('accepts whole floats and floating-point noise, not real fractions', () => {
    expect(targetFromValue(3.0, 100)).toEqual({ ok: true, value: 3 });
    expect(targetFromValue(2.9999999999999996, 100)).toEqual({ ok: true, value: 3 });
    expect(targetFromValue(2.999999, 100).ok).toBe(false);
    expect(targetFromValue(1e300, 100)).toEqual({ ok: true, value: 100 });
  });

  it('reports a constant clamp with lo > hi at push and a computed one at run time', () => {
    expect(validateExpression('clamp(claims_10m, 5, 1)')).toEqual([
      'clamp: the lower bound 5 is above the upper bound 1',
    ]);
    expect(validateExpression('clamp(claims_10m, eligible, 1)')).toEqual([]);
    expect(run('clamp(claims_10m, eligible, 1)')).toEqual({
      ok: false,
      error: 'clamp: the lower bound 3 is above the upper bound 1',
    });
  });
});

describe('validation messages', () => {
  it.each([
    ['claimz_10m * 2', ['unknown variable "claimz_10m" (did you mean "claims_10m"?)']],
    ['foo + 1', ['unknown variable "foo"']],
    ['constructor', ['unknown variable "constructor"']],
    ['__proto__ + 1', ['unknown variable "__proto__"']],
    ['toString()', ['unknown function "toString"; functions: min, max, ceil, floor, abs, clamp']],
    ['sqrt(4)', ['unknown function "sqrt"; functions: min, max, ceil, floor, abs, clamp']],
    [
      'mni(1, 2)',
      [
        'unknown function "mni" (did you mean "min"?); functions: min, max, ceil, floor, abs, clamp',
      ],
    ],
    ['min()', ['min takes at least 1 argument (min(a, b, ...)), got 0']],
    ['ceil(1, 2)', ['ceil takes 1 argument (ceil(x)), got 2']],
    ['clamp(1, 2)', ['clamp takes 3 arguments (clamp(value, lo, hi)), got 2']],
    ['min', ['"min" is a function: call it with arguments, e.g. min(...)']],
    ['claims_10m(2)', ['"claims_10m" is a variable, not a function']],
    ['claims_10m % 2', ['operator "%" is not supported (use + - * / and parentheses)']],
    ['claims_10m ** 2', ['operator "**" is not supported (use + - * / and parentheses)']],
    ['claims_10m > 2', ['operator ">" is not supported (use + - * / and parentheses)']],
    ['!eligible', ['operator "!" is not supported (use + - * / and parentheses)']],
    ['1 +', ['syntax error at character 4: expected expression after +']],
    ['max(1, 2', [expect.stringMatching(/^syntax error at character \d+: /)]],
    ['min(1,)', [expect.stringMatching(/^syntax error at character 8: /)]],
    ['', [expect.stringMatching(/^is empty/)]],
    ['   ', [expect.stringMatching(/^is empty/)]],
  ])('%j', (text, errors) => {
    expect(validateExpression(text)).toEqual(errors);
  });

  it.each([
    ['eligible.constructor', /property access/],
    ['eligible["constructor"]', /property access/],
    ['"text"', /the text "text" is not allowed/],
    ['true', /true is not allowed/],
    ['null', /null is not allowed/],
    ['this', /"this" is not allowed/],
    ['[1, 2]', /a list/],
    ['eligible ? 1 : 2', /a conditional/],
    ['(1, 2)', /a comma outside a function call/],
    ['1 2', /found several side by side/],
    ['min(1)(2)', /only a function name can be called/],
  ])('rejects %j', (text, message) => {
    const errors = validateExpression(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it('reports every problem of one expression', () => {
    expect(validateExpression('max(claimz_10m, sqrt(eligible), clamp(1, 2))')).toEqual([
      'unknown variable "claimz_10m" (did you mean "claims_10m"?)',
      'unknown function "sqrt"; functions: min, max, ceil, floor, abs, clamp',
      'clamp takes 3 arguments (clamp(value, lo, hi)), got 2',
    ]);
  });

  it('limits the length, and handles deep nesting within it', () => {
    const long = `1${' + 1'.repeat(MAX_EXPRESSION_LENGTH)}`;
    expect(validateExpression(long)).toEqual([
      `is ${long.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH}`,
    ]);
    const deep = `${'('.repeat(499)}1${')'.repeat(499)}`;
    expect(deep.length).toBeLessThanOrEqual(MAX_EXPRESSION_LENGTH);
    expect(run(deep)).toEqual({ ok: true, value: 1 });
    const calls = `${'abs('.repeat(199)}1${')'.repeat(199)}`;
    expect(run(calls)).toEqual({ ok: true, value: 1 });
  });

  it('a failed evaluation of an invalid text says why', () => {
    expect(run('claimz_10m')).toEqual({
      ok: false,
      error: 'invalid expression: unknown variable "claimz_10m" (did you mean "claims_10m"?)',
    });
  });

  it('compiles once per text', () => {
    expect(compileExpression('eligible + 1')).toBe(compileExpression('eligible + 1'));
  });

  it('touches no global or prototype', () => {
    for (const text of [
      'constructor.constructor("return process")()',
      '__proto__.polluted',
      'toString.call(1)',
      'eligible.__proto__',
    ]) {
      expect(validateExpression(text).length).toBeGreaterThan(0);
      expect(run(text).ok).toBe(false);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
