import type { AutoscalingPolicy } from '../../domain/autoscaling/types.js';
import { formatDuration } from '../../util/duration.js';
import type { SimulationReport } from './run.js';

/** A policy in the template config's own shape, durations as text; null = no policy. */
export function policyConfigJson(policy: AutoscalingPolicy | null) {
  if (policy === null) return null;
  if (policy.kind === 'expression') return { expression: policy.expression };
  return {
    forecast: {
      target_hit_rate: policy.targetHitRate,
      min: policy.min,
      max: policy.max,
      history: formatDuration(policy.historyMs),
      lead_time: policy.leadTimeMs === null ? 'auto' : formatDuration(policy.leadTimeMs),
    },
  };
}

const round = (value: number, digits: number) => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

const rate = (value: number | null) => (value === null ? null : round(value, 6));
const hours = (value: number) => round(value, 3);

/**
 * The `--json` shape, exactly: {"preset", "from", "to", "lead_time_s", "policy", "attempts",
 * "hits", "misses", "hit_rate", "prebuild_hours", "idle_prebuild_hours", "days": [{"date",
 * "attempts", "misses", "hit_rate", "prebuild_hours"}]}. `hit_rate` is null without attempts;
 * `policy` is the autoscaling block as in the config, null without one.
 */
export function simulationJson(report: SimulationReport) {
  const { result } = report;
  return {
    preset: report.preset,
    from: new Date(result.from).toISOString(),
    to: new Date(result.to).toISOString(),
    lead_time_s: result.leadTimeMs / 1000,
    policy: policyConfigJson(report.policy),
    attempts: result.attempts,
    hits: result.hits,
    misses: result.misses,
    hit_rate: rate(result.hitRate),
    prebuild_hours: hours(result.prebuildHours),
    idle_prebuild_hours: hours(result.idlePrebuildHours),
    days: result.days.map((day) => ({
      date: day.date,
      attempts: day.attempts,
      misses: day.misses,
      hit_rate: rate(day.hitRate),
      prebuild_hours: hours(day.prebuildHours),
    })),
  };
}

/** One report, or {"a": ..., "b": ...} with --compare. */
export function simulationJsonText(reports: readonly SimulationReport[]): string {
  const [a, b] = reports.map(simulationJson);
  return JSON.stringify(b === undefined ? a : { a, b }, null, 2) + '\n';
}

export function describePolicy(policy: AutoscalingPolicy | null): string {
  if (policy === null) return 'none (instances and schedules)';
  if (policy.kind === 'expression') return `expression "${policy.expression}"`;
  const min = policy.min === null ? 'the scheduled target' : String(policy.min);
  const lead = policy.leadTimeMs === null ? 'auto' : formatDuration(policy.leadTimeMs);
  return `forecast for a ${+(policy.targetHitRate * 100).toFixed(2)}% hit rate, min ${min}, max ${policy.max}, history ${formatDuration(policy.historyMs)}, lead time ${lead}`;
}

const percent = (value: number | null) => (value === null ? '-' : `${(value * 100).toFixed(1)}%`);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] as string).length)),
  );
  // The first column reads left to right, numbers line up on the right.
  const line = (cells: readonly string[]) =>
    '  ' +
    cells
      .map((cell, i) =>
        i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number),
      )
      .join('  ');
  return [line(header), ...rows.map(line)];
}

function block(report: SimulationReport, label: string | null): string[] {
  const { result } = report;
  const sources = Object.entries(result.decisions.bySource)
    .map(([source, count]) => `${source} ${count}`)
    .join(', ');
  const lines = [
    `${label ? `${label}: ` : ''}preset ${report.preset} from ${report.source}`,
    `  policy: ${describePolicy(report.policy)}`,
    `  attempts ${result.attempts}, hits ${result.hits}, misses ${result.misses}, hit rate ${percent(result.hitRate)}`,
    `  prebuild-hours ${result.prebuildHours.toFixed(1)} (idle ${result.idlePrebuildHours.toFixed(1)})`,
    `  decisions: ${sources}`,
  ];
  if (result.decisions.firstError !== null) {
    lines.push(`  first fallback reason: ${result.decisions.firstError}`);
  }
  lines.push(
    '',
    ...table(
      ['date (UTC)', 'attempts', 'misses', 'hit rate', 'prebuild-hours'],
      result.days.map((day) => [
        day.date,
        String(day.attempts),
        String(day.misses),
        percent(day.hitRate),
        day.prebuildHours.toFixed(1),
      ]),
    ),
  );
  return lines;
}

/** Human output: the range, then per policy a summary and one row per day. */
export function simulationText(reports: readonly SimulationReport[]): string {
  const first = reports[0];
  if (!first) return '';
  const { result } = first;
  const lines = [
    `simulated ${new Date(result.from).toISOString()} to ${new Date(result.to).toISOString()}, lead time ${formatDuration(result.leadTimeMs)}`,
    '',
  ];
  reports.forEach((report, i) => {
    if (i > 0) lines.push('');
    lines.push(...block(report, reports.length > 1 ? (i === 0 ? 'a' : 'b') : null));
  });
  const second = reports[1];
  if (second) {
    const a = first.result;
    const b = second.result;
    lines.push(
      '',
      `b - a: misses ${signed(b.misses - a.misses, 0)}, hit rate ${signed(((b.hitRate ?? 0) - (a.hitRate ?? 0)) * 100, 1)} points, prebuild-hours ${signed(b.prebuildHours - a.prebuildHours, 1)}`,
    );
  }
  return lines.join('\n') + '\n';
}

const signed = (value: number, digits: number) => `${value > 0 ? '+' : ''}${value.toFixed(digits)}`;
