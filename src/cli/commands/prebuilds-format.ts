import type { planJson, statusJson } from '../../prebuilds/admin.js';
import { formatTable } from '../database.js';

type Status = ReturnType<typeof statusJson>;
type Plan = ReturnType<typeof planJson>;

const minute = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')}Z` : '-');

function pausedLine(paused: boolean, by?: string | null): string {
  return paused
    ? `reconciliation is PAUSED${by ? ` (by ${by})` : ''}: passes change nothing until \`prebuild-controller prebuilds resume\`\n`
    : '';
}

type PresetStatus = Status['presets'][number];

/**
 * The SOURCE column: what decided DESIRED (`scheduled`, `expression`, `forecast`, or a
 * `*_fallback` to the scheduled target); a forecast adds its expected hit rate, lambda and L.
 */
function sourceCell(p: PresetStatus): string {
  const f = p.forecast;
  if (p.target_source !== 'forecast' || f === null) return p.target_source;
  const rate = (f.expected_hit_rate * 100).toFixed(1);
  return `forecast ${rate}% (${f.claim_rate_per_minute.toFixed(2)}/min, L ${Math.round(f.lead_time_s)}s)`;
}

/** `prebuilds status`: one line per preset. */
export function formatStatus(status: Status): string {
  if (status.presets.length === 0) {
    return (
      pausedLine(status.paused) +
      'no preset keeps prebuilds (push a template with a preset that has `prebuilds`)\n'
    );
  }
  const rows = status.presets.map((p) => [
    p.template,
    p.preset,
    p.active_version ? p.template_version : `${p.template_version} (old)`,
    String(p.desired),
    sourceCell(p),
    String(p.running),
    String(p.ready),
    String(p.starting),
    String(p.stopping),
    String(p.deleting),
    String(p.expired),
    p.status,
    minute(p.backoff_until),
    p.schedule.error
      ? 'invalid: instances'
      : (p.schedule.current ?? (p.active ? 'instances' : '-')),
    p.schedule.next_change_at
      ? `${minute(p.schedule.next_change_at)} -> ${p.schedule.next_desired ?? '?'}`
      : '-',
  ]);
  const table = formatTable(
    [
      'TEMPLATE',
      'PRESET',
      'VERSION',
      'DESIRED',
      'SOURCE',
      'RUNNING',
      'READY',
      'STARTING',
      'STOPPING',
      'DELETING',
      'EXPIRED',
      'STATUS',
      'BACKOFF UNTIL',
      'SCHEDULE',
      'NEXT CHANGE',
    ],
    rows,
  );
  const notes = status.presets
    .filter((p) => p.creation_blocked || p.inactive_reason || p.schedule.error || p.target_error)
    .map((p) => {
      const autoscaling = p.target_error
        ? `autoscaling: ${p.target_error} (scheduled target ${p.scheduled_target} applies)`
        : null;
      const why = [p.inactive_reason, p.creation_blocked, p.schedule.error, autoscaling].filter(
        Boolean,
      );
      return `  ${p.template}/${p.preset} (${p.template_version}): ${why.join('; ')}`;
    });
  for (const p of status.presets) {
    for (const failed of p.failed_deletes) {
      const times = `delete failed ${failed.failures} time${failed.failures === 1 ? '' : 's'} in a row`;
      const next = failed.retry_at
        ? `retrying at ${failed.retry_at}`
        : 'retry limit reached: no more retries (delete it by hand)';
      notes.push(`  ${p.template}/${p.preset}: prebuild ${failed.workspace}: ${times}; ${next}`);
    }
  }
  return (
    pausedLine(status.paused, status.pause_changed_by) +
    table +
    (notes.length ? `\n${notes.join('\n')}\n` : '')
  );
}

/**
 * `prebuilds plan`: per preset with something to do, each action and why; and every preset that is
 * short of its desired size but may not create (hard limit, backoff, validation failure), with
 * the reason, so "nothing to do" is only said when every pool really is where it should be.
 */
export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  for (const p of plan.presets) {
    if (p.actions.length === 0 && !p.status_change && !p.creation_blocked) continue;
    const version = p.active_version ? p.template_version : `${p.template_version}, old`;
    lines.push(`${p.organization}/${p.template}/${p.preset} (${version}):`);
    if (p.status_change) lines.push(`  status ${p.status_change.from} -> ${p.status_change.to}`);
    if (p.target_source !== 'scheduled') {
      const why = p.target_error ? `: ${p.target_error}` : '';
      lines.push(
        `  desired ${p.desired} from ${p.target_source} (scheduled target ${p.scheduled_target})${why}`,
      );
    }
    if (p.creation_blocked) {
      lines.push(`  creation blocked (${p.status}, desired ${p.desired}): ${p.creation_blocked}`);
    }
    for (const action of p.actions) {
      lines.push(`  ${action.reason}`);
      if (action.type === 'delete') {
        for (const id of action.workspace_ids) lines.push(`    ${id}: ${action.reasons[id] ?? ''}`);
      }
    }
  }
  if (lines.length === 0) lines.push('nothing to do: every pool is at its desired size');
  return pausedLine(plan.paused) + lines.join('\n') + '\n';
}
