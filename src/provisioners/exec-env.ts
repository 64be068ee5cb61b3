import { isControllerSecret } from '../config/settings.js';
import type { ExecUser } from './exec-user.js';
import type { ProvisionRequest } from './types.js';

/**
 * What an exec command inherits from the daemon's environment, always: a name, or a prefix
 * ending in `*`. Everything else is left out unless `--exec-env` names it.
 */
export const EXEC_ENV_ALLOWED = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TMPDIR',
] as const;

const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function allowed(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern,
  );
}

/** `PARAM_` + the parameter name upper-cased, anything but A-Z, 0-9 and _ replaced by _. */
export function parameterVariable(name: string): string {
  return 'PARAM_' + name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

export interface ExecEnvironmentOptions {
  /** More names or `PREFIX*` patterns to inherit (`--exec-env`). */
  readonly allow?: readonly string[];
  /** The user the command runs as: HOME, USER and LOGNAME are theirs. */
  readonly user?: ExecUser | undefined;
}

/**
 * The environment of an exec build: the allow-listed part of the daemon's (never DATABASE_URL or
 * PREBUILD_CONTROLLER_*), the identity of the user it runs as, then the build.
 */
export function execEnvironment(
  { jobId, input }: Pick<ProvisionRequest, 'jobId' | 'input'>,
  base: NodeJS.ProcessEnv,
  options: ExecEnvironmentOptions = {},
): NodeJS.ProcessEnv {
  const patterns = [...EXEC_ENV_ALLOWED, ...(options.allow ?? [])];
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !isControllerSecret(name) && allowed(name, patterns)) {
      env[name] = value;
    }
  }
  env.PATH ??= FALLBACK_PATH;
  if (options.user) {
    env.HOME = options.user.home;
    env.USER = options.user.name;
    env.LOGNAME = options.user.name;
  }
  for (const [name, value] of Object.entries(input.parameters))
    env[parameterVariable(name)] = value;
  Object.assign(env, {
    JOB_ID: jobId,
    WORKSPACE_ID: input.workspace_id,
    WORKSPACE_NAME: input.workspace_name,
    WORKSPACE_BUILD_ID: input.workspace_build_id,
    TRANSITION: input.transition,
    BUILD_NUMBER: String(input.build_number),
    BUILD_REASON: input.reason,
    IS_PREBUILD: String(input.is_prebuild),
    TEMPLATE: input.template_name,
    TEMPLATE_ID: input.template_id,
    TEMPLATE_VERSION: input.template_version_name,
    TEMPLATE_VERSION_ID: input.template_version_id,
    PRESET: input.preset_name ?? '',
    PRESET_ID: input.preset_id ?? '',
    OWNER: input.owner_name,
    OWNER_ID: input.owner_id,
  });
  return env;
}
