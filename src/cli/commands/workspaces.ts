import { type Command, InvalidArgumentError } from 'commander';

import type { Transition } from '../../jobs/model.js';
import { systemClock } from '../../util/clock.js';
import { formatDuration, parseDuration } from '../../util/duration.js';
import type { WorkspaceJson } from '../../workspaces/view.js';
import { workspacesClient } from '../backends/workspaces.js';
import { CliError } from '../errors.js';
import { addClientSettings, DATABASE_SETTINGS } from '../options.js';
import { formatWorkspace, formatWorkspaceTable } from './workspace-format.js';

/** `workspaces extend <ref> <duration>`: the longest duration from now it accepts. */
const MAX_EXTEND_AHEAD_MS = 365 * 86_400_000;

type Flags = Record<string, unknown>;

const REF = '<workspace>';
const REF_HELP = 'workspace id, or owner/name';

/** `--limit <n>`: a whole number of at least 1; anything else is a usage error (exit 2). */
function countArgument(value: string): number {
  const count = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(count) || count < 1) {
    throw new InvalidArgumentError('must be a whole number of at least 1');
  }
  return count;
}

/** Prints the workspace (or --json) and any warnings on stderr. */
function printWorkspace(workspace: WorkspaceJson & { warnings?: readonly string[] }, flags: Flags) {
  for (const warning of workspace.warnings ?? []) {
    process.stderr.write(`warning: ${warning}\n`);
  }
  process.stdout.write(flags.json ? JSON.stringify(workspace) + '\n' : formatWorkspace(workspace));
}

/** A subcommand talking to the database (flags of DATABASE_SETTINGS, --json, --help). */
function sub(parent: Command, name: string, description: string): Command {
  return addClientSettings(
    parent.command(name).description(description).option('--json', 'print JSON'),
    DATABASE_SETTINGS,
  );
}

/**
 * `workspaces list|show|start|stop|delete|autostart|ttl|extend|dormant|activity`, on the database
 * with the same code (and checks) as the API, or over the API with --url. Returns the parent command, and each
 * of `extra` is called with it, so other modules add subcommands (e.g. `create`).
 */
export function registerWorkspaces(
  program: Command,
  extra: readonly ((workspaces: Command) => void)[] = [],
): Command {
  const workspaces = program
    .command('workspaces')
    .description('list workspaces, start/stop/delete them, and change their schedules');

  sub(workspaces, 'list', 'list workspaces with their state, deadline and schedule')
    .option('--owner <user>', 'only this owner (username or id)')
    .option('--template <template>', 'only this template (name or id)')
    .option(
      '--limit <n>',
      'at most this many workspaces (default: all, read a page at a time)',
      countArgument,
    )
    .action(async (flags: Flags) => {
      const list = await workspacesClient(flags).list(
        {
          ...(typeof flags.owner === 'string' ? { owner: flags.owner } : {}),
          ...(typeof flags.template === 'string' ? { template: flags.template } : {}),
        },
        typeof flags.limit === 'number' ? flags.limit : null,
      );
      process.stdout.write(
        flags.json ? JSON.stringify({ workspaces: list }) + '\n' : formatWorkspaceTable(list),
      );
    });

  sub(workspaces, 'show', 'show one workspace')
    .argument(REF, REF_HELP)
    .action(async (ref: string, flags: Flags) => {
      printWorkspace(await workspacesClient(flags).show(ref), flags);
    });

  for (const transition of ['start', 'stop', 'delete'] as const satisfies readonly Transition[]) {
    sub(workspaces, transition, `queue a ${transition} build of a workspace (reason initiator)`)
      .argument(REF, REF_HELP)
      .action(async (ref: string, flags: Flags) => {
        const build = await workspacesClient(flags).build(ref, transition);
        process.stdout.write(
          flags.json
            ? JSON.stringify(build) + '\n'
            : `build #${build.build_number} (${build.transition}) queued: job ${build.job_id}\n`,
        );
      });
  }

  sub(workspaces, 'autostart', 'set the autostart schedule, or "off"')
    .argument(REF, REF_HELP)
    .argument('<schedule>', 'weekly cron, e.g. "CRON_TZ=Europe/Berlin 30 8 * * 1-5", or off')
    .action(async (ref: string, schedule: string, flags: Flags) => {
      const off = ['off', 'none', ''].includes(schedule.trim().toLowerCase());
      printWorkspace(
        await workspacesClient(flags).change(ref, { autostart: off ? null : schedule }),
        flags,
      );
    });

  sub(workspaces, 'ttl', 'set how long the workspace runs after each start (1m to 30d), or "off"')
    .argument(REF, REF_HELP)
    .argument('<duration>', 'e.g. 8h, 90m, or off')
    .action(async (ref: string, text: string, flags: Flags) => {
      const off = ['off', 'none'].includes(text.trim().toLowerCase());
      const ttl = off ? null : parseDuration(text);
      if (ttl === undefined) {
        throw new CliError(`ttl: "${text}" is not a duration (examples: 90m, 8h, 2d) or off`, 2);
      }
      printWorkspace(await workspacesClient(flags).change(ref, { ttl_ms: ttl }), flags);
    });

  sub(workspaces, 'extend', 'set a new deadline for the running workspace')
    .argument(REF, REF_HELP)
    .argument('<deadline>', 'an ISO time (2025-06-04T18:30:00Z) or a duration from now (2h)')
    .action(async (ref: string, text: string, flags: Flags) => {
      const now = systemClock.now();
      const ms = parseDuration(text);
      if (ms !== undefined && ms > MAX_EXTEND_AHEAD_MS) {
        throw new CliError(
          `deadline: "${text}" is too far ahead (a duration from now is at most ${formatDuration(MAX_EXTEND_AHEAD_MS)})`,
          2,
        );
      }
      const deadline = ms === undefined ? text : new Date(now.getTime() + ms).toISOString();
      printWorkspace(await workspacesClient(flags).change(ref, { deadline }), flags);
    });

  sub(workspaces, 'dormant', 'mark a workspace dormant (on: a running one is stopped) or wake it')
    .argument(REF, REF_HELP)
    .argument('<on|off>')
    .action(async (ref: string, state: string, flags: Flags) => {
      const value = { on: true, true: true, off: false, false: false }[state.toLowerCase()];
      if (value === undefined) throw new CliError(`dormant: "${state}" must be on or off`, 2);
      printWorkspace(await workspacesClient(flags).change(ref, { dormant: value }), flags);
    });

  sub(workspaces, 'activity', 'record user activity: last used now, and the deadline bump')
    .argument(REF, REF_HELP)
    .action(async (ref: string, flags: Flags) => {
      const result = await workspacesClient(flags).activity(ref);
      if (flags.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      const deadline = result.latest_build?.deadline ?? 'none';
      process.stdout.write(
        `activity recorded; deadline ${deadline}${result.bumped ? ' (bumped)' : ''}\n`,
      );
    });

  for (const add of extra) add(workspaces);
  return workspaces;
}
