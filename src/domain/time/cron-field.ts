/**
 * Expansion of one cron field into the values it covers, shared by prebuild schedules
 * (src/domain/schedule/cron.ts) and workspace autostart / quiet hours (src/domain/lifecycle/cron.ts).
 * Each caller keeps its own rules about which fields may be restricted, and its own error texts:
 * a problem comes back as data (`CronFieldProblem`) for the caller to phrase.
 *
 * Grammar: a comma list of items; an item is `*`, `N`, `A-B` or a name, optionally followed by
 * `/STEP` (`A/STEP` means A to the field's maximum, as in most cron implementations).
 */

export interface CronFieldSpec {
  readonly min: number;
  readonly max: number;
  /** Where `*` ends when it differs from `max` (day of week: 6, since 7 repeats Sunday). */
  readonly wildcardMax?: number;
  /** Names accepted for values, case-insensitive: names[i] means nameBase + i. */
  readonly names?: readonly string[];
  readonly nameBase?: number;
  /** `?` is a synonym of `*` (the two day fields of prebuild schedules). */
  readonly questionMark?: boolean;
  /** A range ending in the name of value 0 that starts later closes at 7 (MON-SUN). */
  readonly sundayClosesRange?: boolean;
}

export type CronFieldProblem =
  /** An empty item between commas. */
  | { readonly kind: 'empty-item'; readonly item: string }
  /** More than one `/` in an item. */
  | { readonly kind: 'extra-slash'; readonly item: string }
  /** Nothing before the `/`. */
  | { readonly kind: 'missing-base'; readonly item: string }
  | { readonly kind: 'bad-step'; readonly item: string; readonly step: string }
  /** More than one `-`. */
  | { readonly kind: 'bad-range'; readonly item: string; readonly range: string }
  /** Neither a number nor a known name ('' when a range bound is missing). */
  | { readonly kind: 'not-a-value'; readonly item: string; readonly token: string }
  | { readonly kind: 'out-of-range'; readonly item: string; readonly value: number }
  | {
      readonly kind: 'backwards';
      readonly item: string;
      readonly range: string;
      readonly from: number;
      readonly to: number;
    };

export type CronFieldResult =
  | { readonly ok: true; readonly values: readonly number[] }
  | { readonly ok: false; readonly problem: CronFieldProblem };

type Value = { value: number } | { problem: CronFieldProblem };

function parseValue(token: string, item: string, spec: CronFieldSpec): Value {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < spec.min || value > spec.max) {
      return { problem: { kind: 'out-of-range', item, value } };
    }
    return { value };
  }
  const upper = token.toUpperCase();
  const index = spec.names?.findIndex((name) => name.toUpperCase() === upper) ?? -1;
  if (index >= 0 && token !== '') return { value: index + (spec.nameBase ?? 0) };
  return { problem: { kind: 'not-a-value', item, token } };
}

/** The sorted, distinct values a field covers (7 stays 7: callers fold day of week themselves). */
export function expandCronField(text: string, spec: CronFieldSpec): CronFieldResult {
  const values = new Set<number>();
  const fail = (problem: CronFieldProblem): CronFieldResult => ({ ok: false, problem });
  for (const item of text.split(',')) {
    if (item === '') return fail({ kind: 'empty-item', item });
    const [base = '', stepText, ...extra] = item.split('/');
    if (extra.length > 0) return fail({ kind: 'extra-slash', item });
    if (base === '') return fail({ kind: 'missing-base', item });
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        return fail({ kind: 'bad-step', item, step: stepText });
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (base === '*' || (base === '?' && spec.questionMark === true)) {
      from = spec.min;
      to = spec.wildcardMax ?? spec.max;
    } else {
      const bounds = base.split('-');
      if (bounds.length > 2) return fail({ kind: 'bad-range', item, range: base });
      const start = parseValue(bounds[0] ?? '', item, spec);
      if ('problem' in start) return fail(start.problem);
      from = start.value;
      if (bounds.length === 2) {
        const endToken = bounds[1] ?? '';
        const end = parseValue(endToken, item, spec);
        if ('problem' in end) return fail(end.problem);
        to = end.value;
        const namesSunday = spec.names?.[0]?.toUpperCase() === endToken.toUpperCase();
        if (spec.sundayClosesRange === true && to === 0 && from > 0 && namesSunday) to = 7;
        if (to < from) return fail({ kind: 'backwards', item, range: base, from, to });
      } else {
        to = stepText === undefined ? from : spec.max;
      }
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return { ok: true, values: [...values].sort((a, b) => a - b) };
}
