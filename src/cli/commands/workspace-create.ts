import type { Command } from 'commander';

import type { createdWorkspaceJson, CreatedWorkspace } from '../../prebuilds/create-workspace.js';
import type { CreateWorkspaceInput } from '../../prebuilds/create-request.js';
import { parseDuration } from '../../util/duration.js';
import { type WorkspacesClient, workspacesClient } from '../backends/workspaces.js';
import { CliError } from '../errors.js';
import { addClientSettings, DATABASE_SETTINGS } from '../options.js';

const collect = (value: string, all: string[]) => [...all, value];

/** `--param k=v` (repeatable) as an object; a malformed pair or a repeated name is a usage error. */
export function parseParams(pairs: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new CliError(`--param "${pair}": must be name=value`, 2);
    const name = pair.slice(0, eq);
    if (Object.hasOwn(params, name)) throw new CliError(`--param ${name} is given twice`, 2);
    params[name] = pair.slice(eq + 1);
  }
  return params;
}

/** `--ttl`: a duration, or `none` for no autostop; absent = the template's default. */
export function parseTtl(text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'none') return null;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new CliError(`--ttl "${text}": not a duration (examples: 30m, 8h) or "none"`, 2);
  }
  return ms;
}

/** What the CLI prints for a created workspace (both `workspaces create` and `claim`). */
export function describeCreated(
  created: Pick<CreatedWorkspace, 'claimed'>,
  json: Awaited<ReturnType<typeof createdWorkspaceJson>>,
): string {
  const { workspace, build } = json;
  const where = `${workspace.owner}/${workspace.name} (${workspace.id})`;
  const job = `build #${build.build_number}, job ${build.job_id} ${build.job_status}`;
  if (created.claimed) {
    return `claimed a ready prebuild of preset ${workspace.preset_name}: workspace ${where}; claim ${job}\n`;
  }
  const why = workspace.preset_name ? `no ready prebuild of preset ${workspace.preset_name}; ` : '';
  return `${why}created workspace ${where}; ${job}\n`;
}

/** Runs the create (the input may need a lookup through the same client) and prints it. */
export async function runCreate(
  flags: Record<string, unknown>,
  input: (client: WorkspacesClient) => Promise<CreateWorkspaceInput>,
): Promise<void> {
  const client = workspacesClient(flags);
  const json = await client.create(await input(client));
  process.stdout.write(
    flags.json === true ? JSON.stringify(json, null, 2) + '\n' : describeCreated(json, json),
  );
}

/**
 * `workspaces create`: claim a ready prebuild of the preset, or build a new workspace, exactly as
 * `POST /api/v1/workspaces`. Registered on the `workspaces` command the caller owns.
 */
export function registerWorkspaceCreate(parent: Command): void {
  addClientSettings(
    parent
      .command('create')
      .description(
        'create a workspace for a user: claims a ready prebuild of the preset when there is one, else builds a new one',
      )
      .argument('<name>', 'workspace name')
      .requiredOption('--owner <user>', 'owner: username or id')
      .requiredOption('--template <name>', 'template name')
      .option('--organization <name>', 'organization of the template (when the name is ambiguous)')
      .option(
        '--preset <name>',
        'preset of the active version (default: the one matching --param, else the default preset)',
      )
      .option('--param <name=value>', 'parameter; repeatable', collect, [])
      .option(
        '--autostart <schedule>',
        'autostart schedule, e.g. "CRON_TZ=Europe/Paris 30 8 * * 1-5"',
      )
      .option(
        '--ttl <duration>',
        'autostop after this long (e.g. 8h), or "none"; default: the template\'s',
      )
      .option('--json', 'print {"workspace", "claimed", "build"} as the API does'),
    DATABASE_SETTINGS,
  ).action(async (name: string, flags: Record<string, unknown>) => {
    const params = parseParams(flags.param as string[]);
    const ttl = parseTtl(flags.ttl as string | undefined);
    await runCreate(flags, async () => ({
      owner: flags.owner as string,
      template: flags.template as string,
      name,
      ...(typeof flags.organization === 'string' ? { organization: flags.organization } : {}),
      ...(typeof flags.preset === 'string' ? { preset: flags.preset } : {}),
      ...(Object.keys(params).length > 0 ? { parameters: params } : {}),
      ...(typeof flags.autostart === 'string' ? { autostart_schedule: flags.autostart } : {}),
      ...(ttl !== undefined ? { ttl_ms: ttl } : {}),
    }));
  });
}
