import jsep from 'jsep';

import { arityProblem, type ExpressionFunction, FUNCTION_NAMES, FUNCTIONS } from './functions.js';
import { closestName } from './suggest.js';
import {
  type ExpressionVariables,
  isVariableName,
  VARIABLE_NAMES,
  type VariableName,
} from './variables.js';

/**
 * Compiles an autoscaling expression. jsep (a small, dependency-free JavaScript expression
 * parser) turns the text into a syntax tree; this file then walks the tree with a whitelist:
 * numbers, the known variables, unary minus/plus, `+ - * /`, and calls of the known functions.
 * Anything else (property access, strings, comparisons, conditionals, `this`, ...) is an error
 * with a message. The accepted tree becomes a tree of closures: nothing from the text is ever
 * given to eval or Function, and no name is looked up on an object that has a prototype.
 */

/** The expression's value for one set of variables; may throw ExpressionRunError. */
export type Evaluate = (variables: ExpressionVariables) => number;

export type CompileResult =
  | {
      readonly ok: true;
      readonly evaluate: Evaluate;
      /** The variables the expression reads, in order of first use. */
      readonly variables: readonly VariableName[];
    }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Longer expressions are rejected: they are a mistake, and parsing stays cheap and shallow. */
export const MAX_EXPRESSION_LENGTH = 1000;

const BINARY: Readonly<Record<string, (a: number, b: number) => number>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

const OPERATORS_HINT = 'use + - * / and parentheses';
const ALLOWED = `an expression has numbers, variables, + - * / with parentheses, and calls of ${FUNCTION_NAMES.join(', ')}`;

function describeNode(node: jsep.Expression): string {
  switch (node.type) {
    case 'MemberExpression':
      return 'property access (a.b or a[b])';
    case 'ConditionalExpression':
      return 'a conditional (a ? b : c)';
    case 'ArrayExpression':
      return 'a list ([...])';
    case 'ThisExpression':
      return '"this"';
    case 'SequenceExpression':
      return 'a comma outside a function call';
    case 'Literal': {
      const { value } = node as jsep.Literal;
      return typeof value === 'string' ? `the text ${JSON.stringify(value)}` : String(value);
    }
    default:
      return `a ${node.type}`;
  }
}

class Compiler {
  readonly errors: string[] = [];
  readonly variables: VariableName[] = [];

  private fail(message: string): Evaluate {
    if (!this.errors.includes(message)) this.errors.push(message);
    return () => Number.NaN;
  }

  node(node: jsep.Expression | null | undefined): Evaluate {
    if (!node) return this.fail('syntax error: missing a value');
    switch (node.type) {
      case 'Literal':
        return this.literal(node as jsep.Literal);
      case 'Identifier':
        return this.identifier((node as jsep.Identifier).name);
      case 'UnaryExpression':
        return this.unary(node as jsep.UnaryExpression);
      case 'BinaryExpression':
        return this.binary(node as jsep.BinaryExpression);
      case 'CallExpression':
        return this.call(node as jsep.CallExpression);
      case 'Compound':
        return this.fail(
          'expected one expression, found several side by side (a missing operator?)',
        );
      default:
        return this.fail(`${describeNode(node)} is not allowed: ${ALLOWED}`);
    }
  }

  private literal(node: jsep.Literal): Evaluate {
    const { value } = node;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return this.fail(`${describeNode(node)} is not allowed: only numbers`);
    }
    return () => value;
  }

  private identifier(name: string): Evaluate {
    if (isVariableName(name)) {
      if (!this.variables.includes(name)) this.variables.push(name);
      return (variables) => variables[name];
    }
    if (FUNCTIONS.has(name)) {
      return this.fail(`"${name}" is a function: call it with arguments, e.g. ${name}(...)`);
    }
    const hint = closestName(name, VARIABLE_NAMES);
    return this.fail(
      `unknown variable ${JSON.stringify(name)}${hint ? ` (did you mean "${hint}"?)` : ''}`,
    );
  }

  private unary(node: jsep.UnaryExpression): Evaluate {
    const argument = this.node(node.argument);
    if (node.operator === '-') return (variables) => -argument(variables);
    if (node.operator === '+') return argument;
    return this.fail(`operator "${node.operator}" is not supported (${OPERATORS_HINT})`);
  }

  private binary(node: jsep.BinaryExpression): Evaluate {
    const left = this.node(node.left);
    const right = this.node(node.right);
    const op = Object.hasOwn(BINARY, node.operator) ? BINARY[node.operator] : undefined;
    if (!op) return this.fail(`operator "${node.operator}" is not supported (${OPERATORS_HINT})`);
    return (variables) => op(left(variables), right(variables));
  }

  private call(node: jsep.CallExpression): Evaluate {
    const args = node.arguments.map((argument) => this.node(argument));
    if (node.callee.type !== 'Identifier') {
      return this.fail(`only a function name can be called: ${ALLOWED}`);
    }
    const name = (node.callee as jsep.Identifier).name;
    const fn = FUNCTIONS.get(name);
    if (!fn) {
      if (isVariableName(name)) return this.fail(`"${name}" is a variable, not a function`);
      const hint = closestName(name, FUNCTION_NAMES);
      return this.fail(
        `unknown function ${JSON.stringify(name)}${hint ? ` (did you mean "${hint}"?)` : ''}; functions: ${FUNCTION_NAMES.join(', ')}`,
      );
    }
    const arity = arityProblem(name, fn, args.length);
    if (arity) return this.fail(arity);
    this.checkConstantBounds(name, node.arguments);
    return callOf(fn, args);
  }

  /** `clamp(x, 10, 2)` can never work: say so at push, not at run time. */
  private checkConstantBounds(name: string, args: readonly jsep.Expression[]): void {
    if (name !== 'clamp') return;
    const lo = constantOf(args[1]);
    const hi = constantOf(args[2]);
    if (lo !== null && hi !== null && lo > hi) {
      this.fail(`clamp: the lower bound ${lo} is above the upper bound ${hi}`);
    }
  }
}

function callOf(fn: ExpressionFunction, args: readonly Evaluate[]): Evaluate {
  if (args.length === 1) {
    const [only] = args as [Evaluate];
    return (variables) => fn.apply([only(variables)]);
  }
  return (variables) => fn.apply(args.map((arg) => arg(variables)));
}

/** The value of a number literal, possibly negated; null for anything else. */
function constantOf(node: jsep.Expression | undefined): number | null {
  if (!node) return null;
  if (node.type === 'Literal') {
    const { value } = node as jsep.Literal;
    return typeof value === 'number' ? value : null;
  }
  if (node.type === 'UnaryExpression') {
    const unary = node as jsep.UnaryExpression;
    const inner = constantOf(unary.argument);
    if (inner === null) return null;
    return unary.operator === '-' ? -inner : unary.operator === '+' ? inner : null;
  }
  return null;
}

function syntaxError(error: unknown): string {
  const { description, index } = error as { description?: unknown; index?: unknown };
  if (typeof description === 'string' && typeof index === 'number') {
    return `syntax error at character ${index + 1}: ${description.charAt(0).toLowerCase()}${description.slice(1)}`;
  }
  return `syntax error: ${error instanceof Error ? error.message : String(error)}`;
}

/** Compiles without caching; see `compileExpression` for the cached entry point. */
export function compileUncached(text: string): CompileResult {
  if (typeof text !== 'string' || text.trim() === '') {
    return {
      ok: false,
      errors: ['is empty: write an expression such as "max(scheduled_target, claims_10m)"'],
    };
  }
  if (text.length > MAX_EXPRESSION_LENGTH) {
    return {
      ok: false,
      errors: [`is ${text.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH}`],
    };
  }
  let tree: jsep.Expression;
  try {
    tree = jsep(text);
  } catch (error) {
    return { ok: false, errors: [syntaxError(error)] };
  }
  const compiler = new Compiler();
  const evaluate = compiler.node(tree);
  if (compiler.errors.length > 0) return { ok: false, errors: compiler.errors };
  return { ok: true, evaluate, variables: compiler.variables };
}
