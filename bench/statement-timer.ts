import pg from 'pg';

export interface StatementTiming {
  readonly statement: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
}

const shorten = (text: string) => {
  const flat = text
    .replace(/--[^\n]*\n/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > 90 ? `${flat.slice(0, 87)}...` : flat;
};

/**
 * Times every statement any pg client of this process sends (slonik runs on pg) while `fn`
 * runs, grouped by statement text: round trip as the client sees it (server time + network +
 * queueing). For "where the time goes" breakdowns of an uncontended request, not for throughput.
 */
export async function timeStatements<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; statements: StatementTiming[] }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const totals = new Map<string, { calls: number; ms: number }>();
  proto.query = function timed(this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text =
      typeof first === 'string'
        ? first
        : typeof first === 'object' && first !== null && 'text' in first
          ? String(first.text)
          : '?';
    const started = performance.now();
    const out = original.apply(this, args);
    if (out && typeof (out as Promise<unknown>).then === 'function') {
      return (out as Promise<unknown>).finally(() => {
        const key = shorten(text);
        const entry = totals.get(key) ?? { calls: 0, ms: 0 };
        entry.calls += 1;
        entry.ms += performance.now() - started;
        totals.set(key, entry);
      });
    }
    return out;
  };
  try {
    const result = await fn();
    const statements = [...totals.entries()]
      .map(([statement, t]) => ({
        statement,
        calls: t.calls,
        totalMs: Math.round(t.ms * 100) / 100,
        meanMs: Math.round((t.ms / t.calls) * 1000) / 1000,
      }))
      .sort((a, b) => b.totalMs - a.totalMs);
    return { result, statements };
  } finally {
    proto.query = original;
  }
}

/** The top `n` statements by total time, as one line: "12.3 ms COMMIT (x50); ...". */
export function topStatements(statements: readonly StatementTiming[], n = 4, per = 1): string {
  return statements
    .slice(0, n)
    .map(
      (s) => `${(s.totalMs / per).toFixed(2)} ms ${s.statement.slice(0, 40)} (x${s.calls / per})`,
    )
    .join('; ');
}

export interface CapturedStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** Every statement (text and bound values) the pg clients of this process send while `fn` runs. */
export async function captureStatements(fn: () => Promise<unknown>): Promise<CapturedStatement[]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const captured: CapturedStatement[] = [];
  proto.query = function capture(this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    if (typeof first === 'string') {
      captured.push({ text: first, values: Array.isArray(second) ? second : [] });
    } else if (typeof first === 'object' && first !== null && 'text' in first) {
      const q = first as { text: string; values?: unknown[] };
      captured.push({ text: q.text, values: q.values ?? [] });
    }
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return captured;
}

export interface ExplainedStatement {
  readonly statement: string;
  readonly planningMs: number;
  readonly executionMs: number;
  readonly sharedBuffers: number;
}

interface ExplainOutput {
  'Planning Time': number;
  'Execution Time': number;
  Planning?: { 'Shared Hit Blocks'?: number; 'Shared Read Blocks'?: number };
  Plan: { 'Shared Hit Blocks'?: number; 'Shared Read Blocks'?: number };
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of each captured SELECT and UPDATE, each in its own transaction that
 * is rolled back (so a claim replayed finds another row and changes nothing): planning and
 * execution time on the server and the shared buffers the execution touched. Statements that fail
 * on replay (a row they need is gone, or the replayed claim would take the name it already took)
 * are left out. JIT off as on the pool's connections; each statement is run once before it is
 * measured, so the session's catalog caches are warm as on a pooled connection.
 */
export async function explainCaptured(
  client: pg.Client,
  captured: readonly CapturedStatement[],
): Promise<ExplainedStatement[]> {
  await client.query('SET jit = off');
  const out: ExplainedStatement[] = [];
  for (const [k, s] of [...captured, ...captured].entries()) {
    const measured = k >= captured.length;
    const flat = s.text.replace(/--[^\n]*\n/g, ' ').trim();
    if (!/^(SELECT|UPDATE|WITH)\b/i.test(flat)) continue;
    await client.query('BEGIN');
    try {
      const { rows } = await client.query<{ 'QUERY PLAN': ExplainOutput[] }>(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${s.text}`,
        s.values as unknown[],
      );
      const e = rows[0]?.['QUERY PLAN'][0];
      if (e && measured) {
        out.push({
          statement: shorten(s.text),
          planningMs: Math.round(e['Planning Time'] * 1000) / 1000,
          executionMs: Math.round(e['Execution Time'] * 1000) / 1000,
          sharedBuffers: (e.Plan['Shared Hit Blocks'] ?? 0) + (e.Plan['Shared Read Blocks'] ?? 0),
        });
      }
    } catch {
      // Left out: see above.
    } finally {
      await client.query('ROLLBACK');
    }
  }
  await client.query('RESET jit');
  return out;
}
