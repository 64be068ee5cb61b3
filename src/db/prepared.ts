import pg from 'pg';

/**
 * Named prepared statements for the few queries on the claim and job paths.
 *
 * slonik sends every statement unnamed, so PostgreSQL parses, analyses and plans it on every
 * call: planning alone was 0.6 to 1.3 ms for each of the claim request's large statements, more
 * than their execution (bench/ claims, http-claims). A named statement is parsed once per
 * connection, and after five executions PostgreSQL may keep a generic plan: claims through
 * withTransaction went from 0.28-0.49x to 0.58-0.84x of the bare statement (BENCHMARKS.md).
 *
 * slonik's pg driver calls `client.query(text, values)` and offers no way to pass a name, so the
 * name is attached below that: pg's Client.query is wrapped once, and a call whose text is
 * registered here goes out as `{ name, text, values }`. Every other call is passed on untouched.
 * pg remembers per connection which names it has parsed; the server keeps them for the session
 * (nothing here runs DISCARD ALL or DEALLOCATE: see createDbPool). A pooler in transaction mode
 * must support protocol-level prepared statements (PgBouncer 1.21+, `max_prepared_statements`).
 */
const names = new Map<string, string>();
let installed = false;

/** Sends `text` as the prepared statement `name` from now on (same text, same name, always). */
export function prepareByName(name: string, text: string): void {
  const existing = names.get(text);
  if (existing !== undefined && existing !== name) {
    throw new Error(`SQL text of "${name}" is already prepared as "${existing}"`);
  }
  names.set(text, name);
  install();
}

type QueryFunction = (this: pg.Client, ...args: unknown[]) => unknown;

function install(): void {
  if (installed) return;
  installed = true;
  const prototype = pg.Client.prototype as unknown as { query: QueryFunction };
  const original = prototype.query;
  prototype.query = function query(this: pg.Client, ...args: unknown[]) {
    const [config, values] = args;
    if (args.length === 2 && typeof config === 'string' && Array.isArray(values)) {
      const name = names.get(config);
      if (name !== undefined) return original.call(this, { name, text: config, values });
    }
    return original.apply(this, args);
  };
}
