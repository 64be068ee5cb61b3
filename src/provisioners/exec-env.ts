import type { ProvisionRequest } from './types.js';

/** Controller secrets that a build command has no business seeing. */
function isControllerSecret(name: string): boolean {
  return name === 'DATABASE_URL' || name.startsWith('PREBUILD_CONTROLLER_');
}

/** `PARAM_` + the parameter name upper-cased, anything but A-Z, 0-9 and _ replaced by _. */
export function parameterVariable(name: string): string {
  return 'PARAM_' + name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** The environment of an exec build: the inherited one without controller secrets, plus the build. */
export function execEnvironment(
  { jobId, input }: Pick<ProvisionRequest, 'jobId' | 'input'>,
  base: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (!isControllerSecret(name)) env[name] = value;
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
