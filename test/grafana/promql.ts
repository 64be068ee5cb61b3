/**
 * Just enough of PromQL to find what an expression reads: the metric selectors (name and the
 * labels they match on) and the labels it groups or matches by. Grafana variables (`$job`,
 * `${datasource}`, `$__rate_interval`) are accepted wherever PromQL has a string or duration.
 */

export interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}

export interface PromqlRefs {
  readonly selectors: readonly Selector[];
  /** Labels named in by/without/on/ignoring/group_left/group_right lists. */
  readonly grouping: readonly string[];
}

type Kind = 'ident' | 'string' | 'number' | 'var' | 'punct' | 'op';
interface Token {
  readonly kind: Kind;
  readonly text: string;
}

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);

const PATTERNS: readonly [Kind | 'skip', RegExp][] = [
  ['skip', /^(?:\s+|#[^\n]*)/],
  ['string', /^(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/],
  ['var', /^\$(?:\{[A-Za-z_][A-Za-z0-9_:.]*\}|[A-Za-z_][A-Za-z0-9_]*)/],
  [
    'number',
    /^(?:\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*|0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i,
  ],
  ['ident', /^[A-Za-z_:][A-Za-z0-9_:]*/],
  ['punct', /^[(){}[\],]/],
  ['op', /^(?:==|!=|=~|!~|>=|<=|[-+*/%^=<>@:])/],
];

export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let rest = expr;
  while (rest.length > 0) {
    const match = PATTERNS.map(([kind, re]) => [kind, re.exec(rest)] as const).find(
      ([, m]) => m !== null,
    );
    if (!match?.[1]) throw new Error(`cannot read PromQL at "${rest.slice(0, 20)}" in: ${expr}`);
    const [kind, m] = match;
    if (kind !== 'skip') tokens.push({ kind, text: m[0] });
    rest = rest.slice(m[0].length);
  }
  return tokens;
}

function unquote(text: string): string {
  return text.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** The label names of `{a="x", b=~"y"}` starting at tokens[start] (the `{`); returns the end. */
function readMatchers(tokens: readonly Token[], start: number, expr: string) {
  const labels: string[] = [];
  let name: string | undefined;
  let i = start + 1;
  for (; i < tokens.length && tokens[i]!.text !== '}'; i += 1) {
    const token = tokens[i]!;
    if (token.kind === 'ident') {
      const op = tokens[i + 1];
      const value = tokens[i + 2];
      if (op?.kind !== 'op' || !['=', '!=', '=~', '!~'].includes(op.text)) {
        throw new Error(`bad matcher after ${token.text} in: ${expr}`);
      }
      if (value?.kind !== 'string')
        throw new Error(`matcher ${token.text} needs a string: ${expr}`);
      if (token.text === '__name__' && op.text === '=') name = unquote(value.text);
      else labels.push(token.text);
      i += 2;
    } else if (token.text !== ',') {
      throw new Error(`unexpected ${token.text} in a selector: ${expr}`);
    }
  }
  if (i >= tokens.length) throw new Error(`unclosed selector in: ${expr}`);
  return { labels, name, end: i };
}

export function promqlRefs(expr: string): PromqlRefs {
  const tokens = tokenize(expr);
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    if (token.text === '[') {
      // Range or subquery durations: nothing to read inside.
      while (i < tokens.length && tokens[i]!.text !== ']') i += 1;
    } else if (token.text === '{') {
      const { labels, name, end } = readMatchers(tokens, i, expr);
      if (name === undefined) throw new Error(`selector without a metric name in: ${expr}`);
      selectors.push({ metric: name, labels });
      i = end;
    } else if (token.kind === 'ident') {
      const word = token.text.toLowerCase();
      if (GROUPING.has(word)) {
        if (next?.text !== '(') continue;
        for (i += 2; i < tokens.length && tokens[i]!.text !== ')'; i += 1) {
          if (tokens[i]!.kind === 'ident') grouping.push(tokens[i]!.text);
        }
      } else if (next?.text === '(' || AGGREGATIONS.has(word) || KEYWORDS.has(word)) {
        // A function call or an operator, not a metric.
      } else if (next?.text === '{') {
        const { labels, end } = readMatchers(tokens, i + 1, expr);
        selectors.push({ metric: token.text, labels });
        i = end;
      } else {
        selectors.push({ metric: token.text, labels: [] });
      }
    }
  }
  return { selectors, grouping };
}

/** `metric` of a histogram's series name (`x_bucket`, `x_sum`, `x_count` -> `x`), else undefined. */
export function histogramOf(series: string): string | undefined {
  const match = /^(.+)_(bucket|sum|count)$/.exec(series);
  return match?.[1];
}
