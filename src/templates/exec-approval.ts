import { AppError } from '../http/errors.js';
import { isCommandName } from '../provisioners/exec-command.js';
import type { Principal } from '../tokens/roles.js';
import type { TemplateConfig } from './config-schema.js';

/** A template config as stored: a literal exec command carries who may have pushed it. */
export type ApprovedConfig = TemplateConfig & {
  readonly exec?: TemplateConfig['exec'] & { readonly pushed_by_admin?: true };
};

/** Whether the template's exec.command is literal text rather than the name of a daemon's command. */
export function hasLiteralCommand(config: TemplateConfig): boolean {
  const command = config.exec?.command;
  return command !== undefined && !isCommandName(command);
}

/**
 * The admin rule of literal exec commands, at push time: a template whose `exec.command` is not a
 * name may only be pushed by an admin, and the stored version records it (`exec.pushed_by_admin`,
 * which the template itself cannot set) so the daemon can check it again. Named commands pass
 * unchanged. 403 for anyone else.
 */
export function approveExecCommand(config: TemplateConfig, byAdmin: boolean): ApprovedConfig {
  if (!hasLiteralCommand(config)) return config;
  if (!byAdmin) {
    throw new AppError(
      403,
      'forbidden',
      "exec.command: a literal command in a template needs an admin token; name one of the daemons' commands instead (exec.command: NAME, defined with --exec-command NAME=COMMAND)",
    );
  }
  return { ...config, exec: { ...config.exec, pushed_by_admin: true } };
}

/**
 * Whether an API request was made by an admin: its principal's role (`request.principal`, set
 * on every /api/v1 request by the token check). No principal = not an admin (fails closed).
 */
export function requestIsAdmin(request: { readonly principal?: Principal | null }): boolean {
  return request.principal?.role === 'admin';
}
