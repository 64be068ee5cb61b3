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
