/**
 * Turns the text of a `.sql` file into named queries with positional parameters.
 *
 * A file holds one query, or several each introduced by a `-- name: QueryName` line.
 * Parameters are written `:name` (a cast is still `::type`); the same name used twice binds the
 * same value. Quoted strings, quoted identifiers, dollar-quoted bodies and comments are copied
 * through untouched, so a `:word` inside them is never taken for a parameter.
 */
export interface ParsedQuery {
  readonly name: string;
  /** SQL with `$1..$n` placeholders. */
  readonly text: string;
  /** Parameter names in placeholder order. */
  readonly params: readonly string[];
}

const NAME_LINE = /^--\s*name:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/gm;

export function splitNamedQueries(
  source: string,
  defaultName: string,
): { name: string; body: string }[] {
  const markers = [...source.matchAll(NAME_LINE)];
  if (markers.length === 0) return [{ name: defaultName, body: source }];
  const prefix = source.slice(0, markers[0]?.index).trim();
  if (stripComments(prefix).trim() !== '') {
    throw new Error(`${defaultName}: SQL text before the first "-- name:" line`);
  }
  return markers.map((marker, i) => {
    const start = (marker.index ?? 0) + marker[0].length;
    const end = markers[i + 1]?.index ?? source.length;
    return { name: marker[1] as string, body: source.slice(start, end) };
  });
}

const INCLUDE_LINE = /^[ \t]*--[ \t]*include:[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*$/gm;

/**
 * Replaces every `-- include: QueryName` line of each body with the named query's body (its
 * final semicolon dropped), so that one statement can be written once and embedded in another,
 * for example as a CTE (`WITH claimed AS (\n-- include: ClaimPrebuiltWorkspace\n)`). Parameters
 * are by name, so the including query binds the included one's `:names` too. Includes may nest;
 * an unknown name or a cycle is an error naming the chain.
 */
export function expandIncludes(bodies: ReadonlyMap<string, string>): Map<string, string> {
  const done = new Map<string, string>();
  const expand = (name: string, chain: readonly string[]): string => {
    const cached = done.get(name);
    if (cached !== undefined) return cached;
    const body = bodies.get(name) as string;
    const out = body.replace(INCLUDE_LINE, (_line, included: string) => {
      const path = [...chain, name];
      if (path.includes(included)) {
        throw new Error(`SQL include cycle: ${[...path, included].join(' includes ')}`);
      }
      if (!bodies.has(included)) {
        throw new Error(`SQL query "${name}" includes "${included}", which is not defined`);
      }
      return expand(included, path).trim().replace(/;\s*$/, '');
    });
    done.set(name, out);
    return out;
  };
  for (const name of bodies.keys()) expand(name, []);
  return done;
}

function stripComments(text: string): string {
  return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

export function parseQuery(name: string, body: string): ParsedQuery {
  const params: string[] = [];
  let out = '';
  let i = 0;
  const n = body.length;
  const copyUntil = (end: number) => {
    out += body.slice(i, end);
    i = end;
  };
  while (i < n) {
    const c = body[i] as string;
    const next = body[i + 1];
    if (c === '-' && next === '-') {
      const end = body.indexOf('\n', i);
      copyUntil(end === -1 ? n : end);
    } else if (c === '/' && next === '*') {
      const end = body.indexOf('*/', i + 2);
      if (end === -1) throw new Error(`${name}: unterminated /* comment`);
      copyUntil(end + 2);
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        const k = body.indexOf(c, j);
        if (k === -1) throw new Error(`${name}: unterminated ${c} quote`);
        if (body[k + 1] === c) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      copyUntil(j);
    } else if (c === '$' && /[A-Za-z_$]/.test(next ?? '')) {
      const tag = /^\$[A-Za-z_]*\$/.exec(body.slice(i));
      if (tag) {
        const end = body.indexOf(tag[0], i + tag[0].length);
        if (end === -1) throw new Error(`${name}: unterminated ${tag[0]} body`);
        copyUntil(end + tag[0].length);
      } else {
        copyUntil(i + 1);
      }
    } else if (c === ':' && next === ':') {
      copyUntil(i + 2);
    } else if (c === ':' && /[A-Za-z_]/.test(next ?? '')) {
      const match = /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(body.slice(i)) as RegExpExecArray;
      const param = match[1] as string;
      let index = params.indexOf(param);
      if (index === -1) {
        params.push(param);
        index = params.length - 1;
      }
      out += `$${index + 1}`;
      i += match[0].length;
    } else {
      copyUntil(i + 1);
    }
  }
  const text = out.trim().replace(/;\s*$/, '');
  if (stripComments(text).trim() === '') throw new Error(`${name}: empty query`);
  return { name, text, params };
}
