import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  compileExpression,
  decideTarget,
  DEFAULT_AUTOSCALING_SETTINGS,
  type ExpressionVariables,
  expressionVariables,
  type ForecastPolicy,
  hitRate,
  poolSizeFor,
  targetFromValue,
  validateExpression,
  VARIABLE_NAMES,
} from '../../../src/domain/autoscaling/index.js';
import { DAY, inputs, windows } from './fixtures.js';

const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) };

/** An expression as text and its value computed independently of the parser. */
interface Generated {
  readonly text: string;
  readonly value: (vars: ExpressionVariables) => number;
}

const number: fc.Arbitrary<Generated> = fc
  .integer({ min: 0, max: 1000 })
  .chain((n) =>
    fc.constantFrom<Generated>(
      { text: String(n), value: () => n },
      { text: `${n / 4}`, value: () => n / 4 },
    ),
  );

const variable: fc.Arbitrary<Generated> = fc
  .constantFrom(...VARIABLE_NAMES)
  .map((name) => ({ text: name, value: (vars) => vars[name] }));

const { expr } = fc.letrec<{ expr: Generated }>((tie) => {
  const sub = tie('expr');
  return {
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      number,
      variable,
      fc.tuple(sub, fc.constantFrom('+', '-', '*', '/'), sub).map(([a, op, b]) => ({
        text: `(${a.text} ${op} ${b.text})`,
        value: (v: ExpressionVariables) => {
          const x = a.value(v);
          const y = b.value(v);
          return op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y;
        },
      })),
      sub.map((a) => ({ text: `-${a.text}`, value: (v: ExpressionVariables) => -a.value(v) })),
      fc.array(sub, { minLength: 1, maxLength: 4 }).chain((args) =>
        fc.constantFrom('min', 'max').map((fn) => ({
          text: `${fn}(${args.map((a) => a.text).join(', ')})`,
          value: (v: ExpressionVariables) =>
            (fn === 'min' ? Math.min : Math.max)(...args.map((a) => a.value(v))),
        })),
      ),
      fc.tuple(fc.constantFrom('ceil', 'floor', 'abs'), sub).map(([fn, a]) => ({
        text: `${fn}(${a.text})`,
        value: (v: ExpressionVariables) => Math[fn](a.value(v)),
      })),
      fc
        .tuple(sub, fc.integer({ min: -50, max: 1000 }), fc.integer({ min: -50, max: 1000 }))
        .map(([a, x, y]) => {
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          return {
            text: `clamp(${a.text}, ${lo}, ${hi})`,
            value: (v: ExpressionVariables) => Math.min(Math.max(a.value(v), lo), hi),
          };
        }),
    ),
  };
});

const count = fc.integer({ min: 0, max: 500 });
const variables: fc.Arbitrary<ExpressionVariables> = fc
  .record({
    scheduled: count,
    counts: fc.record({
      running: count,
      eligible: count,
      starting: count,
      stopping: count,
      deleting: count,
      expired: count,
    }),
    claims: fc.array(count, { minLength: 5, maxLength: 5 }),
    misses: fc.array(count, { minLength: 5, maxLength: 5 }),
    hour: fc.integer({ min: 0, max: 23 }),
    weekday: fc.integer({ min: 0, max: 6 }),
  })
  .map((r) => {
    const byWindow = (a: number[]) => ({ 5: a[0], 10: a[1], 30: a[2], 60: a[3], 120: a[4] });
    return expressionVariables(
      r.scheduled,
      r.counts,
      windows(byWindow(r.claims), byWindow(r.misses)),
      { hour: r.hour, weekday: r.weekday },
    );
  });

describe('expression properties', () => {
  it('every generated expression compiles and evaluates like the reference', () => {
    fc.assert(
      fc.property(expr, variables, (generated, vars) => {
        const compiled = compileExpression(generated.text);
        if (!compiled.ok) throw new Error(`${generated.text}: ${compiled.errors.join('; ')}`);
        expect(Object.is(compiled.evaluate(vars), generated.value(vars))).toBe(true);
      }),
      RUNS,
    );
  });

  it('a target is a whole number in [0, max], or an error', () => {
    fc.assert(
      fc.property(expr, variables, fc.integer({ min: 0, max: 1000 }), (generated, vars, max) => {
        const compiled = compileExpression(generated.text);
        if (!compiled.ok) return;
        const result = targetFromValue(compiled.evaluate(vars), max);
        if (result.ok) {
          expect(Number.isInteger(result.value)).toBe(true);
          expect(result.value).toBeGreaterThanOrEqual(0);
          expect(result.value).toBeLessThanOrEqual(max);
        } else {
          expect(result.error.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it('an unknown identifier is always reported by name', () => {
    const identifier = fc
      .stringMatching(/^[a-z_][a-z0-9_]{0,20}$/)
      .filter((name) => !(VARIABLE_NAMES as readonly string[]).includes(name));
    fc.assert(
      fc.property(identifier, expr, (name, generated) => {
        const errors = validateExpression(`${generated.text} + ${name}`);
        expect(errors.some((e) => e.includes(`"${name}"`))).toBe(true);
      }),
      RUNS,
    );
  });

  it('arbitrary text never throws from the validator', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        expect(Array.isArray(validateExpression(text))).toBe(true);
      }),
      RUNS,
    );
  });
});

const load = fc.double({ min: 0, max: 200, noNaN: true });
const target = fc.double({ min: 0.01, max: 0.999, noNaN: true });

describe('Erlang model properties', () => {
  it('the hit rate grows with the pool and falls with the load', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), load, load, (s, a, b) => {
        expect(hitRate(s + 1, a)).toBeGreaterThanOrEqual(hitRate(s, a));
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(hitRate(s, high)).toBeLessThanOrEqual(hitRate(s, low) + 1e-12);
      }),
      RUNS,
    );
  });

  it('the pool size is minimal, and grows with the target and the load', () => {
    fc.assert(
      fc.property(target, target, load, load, (t1, t2, a1, a2) => {
        const s = poolSizeFor(t1, a1, 1000);
        expect(hitRate(s, a1)).toBeGreaterThanOrEqual(t1);
        if (s > 0) expect(hitRate(s - 1, a1)).toBeLessThan(t1);
        const [tLow, tHigh] = t1 <= t2 ? [t1, t2] : [t2, t1];
        expect(poolSizeFor(tHigh, a1, 1000)).toBeGreaterThanOrEqual(poolSizeFor(tLow, a1, 1000));
        const [aLow, aHigh] = a1 <= a2 ? [a1, a2] : [a2, a1];
        expect(poolSizeFor(t1, aHigh, 1000)).toBeGreaterThanOrEqual(poolSizeFor(t1, aLow, 1000));
      }),
      RUNS,
    );
  });
});

describe('decision properties', () => {
  const now = new Date('2026-11-23T10:00:00Z');
  const forecast = (max: number, min: number | null): ForecastPolicy => ({
    kind: 'forecast',
    targetHitRate: 0.95,
    min,
    max,
    historyMs: 28 * DAY,
    leadTimeMs: null,
  });

  it('a forecast stays in its bounds and never shrinks when demand grows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 168, maxLength: 168 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 168, maxLength: 168 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 200 }),
        fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }),
        fc.integer({ min: 0, max: 50 }),
        (base, extra, days, max, min, scheduledTarget) => {
          const since = new Date(now.getTime() - days * DAY);
          const decide = (counts: number[]) =>
            decideTarget(
              forecast(max, min),
              inputs({ scheduledTarget, history: { attemptsByHourOfWeek: counts, since } }),
              now,
              DEFAULT_AUTOSCALING_SETTINGS,
            );
          const low = decide(base);
          const high = decide(base.map((c, i) => c + (extra[i] as number)));
          expect(low.source).toBe('forecast');
          expect(high.desired).toBeGreaterThanOrEqual(low.desired);
          const hi = Math.min(max, DEFAULT_AUTOSCALING_SETTINGS.maxTarget);
          expect(low.desired).toBeLessThanOrEqual(hi);
          const lo = Math.min(min ?? scheduledTarget, hi);
          expect(low.desired).toBeGreaterThanOrEqual(lo);
        },
      ),
      RUNS,
    );
  });
});
