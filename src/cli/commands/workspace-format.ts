import type { WorkspaceJson } from '../../workspaces/view.js';
import { formatDuration } from '../../util/duration.js';
import { formatTable } from '../database.js';

/** A one-word state from the latest build: running, starting, stopped, failed (stop), ... */
export function workspaceState(workspace: WorkspaceJson): string {
  const build = workspace.latest_build;
  let state: string;
  if (!build) state = 'new';
  else if (build.status === 'failed' || build.status === 'canceled') {
    state = `${build.status} (${build.transition})`;
  } else if (build.status === 'succeeded') {
    state = { start: 'running', stop: 'stopped', delete: 'deleted' }[build.transition ?? ''] ?? '?';
  } else {
    state =
      { start: 'starting', stop: 'stopping', delete: 'deleting' }[build.transition ?? ''] ?? '?';
  }
  return workspace.dormant_at ? `${state}, dormant` : state;
}

const dash = (value: string | null | undefined) => value ?? '-';

export function formatWorkspaceTable(workspaces: readonly WorkspaceJson[]): string {
  return formatTable(
    ['WORKSPACE', 'TEMPLATE', 'STATE', 'DEADLINE', 'AUTOSTART', 'TTL', 'ID'],
    workspaces.map((w) => [
      `${w.owner}/${w.name}`,
      w.template,
      workspaceState(w),
      dash(w.latest_build?.deadline),
      dash(w.autostart_schedule),
      w.ttl_ms === null ? '-' : formatDuration(w.ttl_ms),
      w.id,
    ]),
  );
}

/** `workspaces show`: one field per line. */
export function formatWorkspace(w: WorkspaceJson): string {
  const build = w.latest_build;
  const lines = [
    `workspace ${w.owner}/${w.name} (${w.id})`,
    `  template:      ${w.template} (${w.organization})`,
    `  state:         ${workspaceState(w)}${w.deleted ? ', deleted' : ''}`,
    `  autostart:     ${dash(w.autostart_schedule)}${w.next_start_at ? ` (next ${w.next_start_at})` : ''}`,
    `  ttl:           ${w.ttl_ms === null ? '-' : formatDuration(w.ttl_ms)}`,
    `  last used:     ${dash(w.last_used_at)}`,
  ];
  if (w.dormant_at) {
    lines.push(
      `  dormant since: ${w.dormant_at}${w.deleting_at ? ` (deleted after ${w.deleting_at})` : ''}`,
    );
  }
  if (build) {
    lines.push(
      `  latest build:  #${build.build_number} ${build.transition} (${build.reason}), ${build.status}, job ${build.job_id}`,
      `  deadline:      ${dash(build.deadline)}${build.max_deadline ? ` (max ${build.max_deadline})` : ''}`,
    );
  }
  return lines.join('\n') + '\n';
}
