import type { BenchRow } from './suites/types.js';

export interface SizeReport {
  readonly size: string;
  readonly seed: { readonly ms: number; readonly rows: Readonly<Record<string, number>> };
  readonly suites: Readonly<Record<string, { rows: readonly BenchRow[]; details: unknown }>>;
}

/** A plain-text table: one block per size, one line per metric. */
export function formatTable(reports: readonly SizeReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    const rows = report.seed.rows;
    if (Object.keys(rows).length === 0) lines.push('== no database (pure code)');
    else
      lines.push(
        `== ${report.size} workspaces (${rows.workspace_builds ?? '?'} builds, ${rows.live_prebuilds ?? '?'} live prebuilds, ${rows.presets ?? '?'} preset rows); seeded in ${(report.seed.ms / 1000).toFixed(1)} s`,
      );
    const all = Object.entries(report.suites).flatMap(([suite, result]) =>
      result.rows.map((row) => [
        suite,
        row.metric,
        `${row.value}${row.unit ? ` ${row.unit}` : ''}`,
      ]),
    );
    const width = [0, 1].map((i) => Math.max(...all.map((cells) => (cells[i] as string).length)));
    for (const [suite, metric, value] of all) {
      lines.push(
        `  ${(suite as string).padEnd(width[0] ?? 0)}  ${(metric as string).padEnd(width[1] ?? 0)}  ${value}`,
      );
    }
  }
  return lines.join('\n');
}
