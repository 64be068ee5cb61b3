import { EXEC_COMMAND_NAME } from '../config/settings.js';
import { JOB_ERROR_CODES, type ExecConfig } from '../jobs/model.js';

/** The command a template runs when it names none. */
export const DEFAULT_COMMAND_NAME = 'default';

export interface ExecCommandPolicy {
  /** The daemon's named commands (`--exec-command NAME=COMMAND`, PREBUILD_CONTROLLER_EXEC_COMMANDS). */
  readonly commands: Readonly<Record<string, string>>;
  /** `--exec-allow-template-commands`: literal commands pushed by an admin token may run. */
  readonly allowTemplateCommands: boolean;
}

export type ResolvedCommand =
  | {
      readonly ok: true;
      readonly command: string;
      /** What the job log says ran: the command's name, never its text. */
      readonly label: string;
    }
  | { readonly ok: false; readonly errorCode: string; readonly error: string };

/** Whether an `exec.command` names one of the daemon's commands (else it is a literal command). */
export function isCommandName(text: string): boolean {
  return EXEC_COMMAND_NAME.test(text);
}

function known(commands: Readonly<Record<string, string>>): string {
  const names = Object.keys(commands).sort();
  return names.length > 0 ? `it has: ${names.join(', ')}` : 'it has none';
}

/**
 * Which command a build runs: `exec.command` a name → the daemon's command of that name; unset →
 * the daemon's `default`; any other text is a literal command, run only when the daemon allows
 * template commands and an admin token pushed the version (`exec.pushed_by_admin`).
 */
export function resolveExecCommand(
  exec: ExecConfig | null,
  policy: ExecCommandPolicy,
): ResolvedCommand {
  const wanted = exec?.command ?? DEFAULT_COMMAND_NAME;
  if (isCommandName(wanted)) {
    const command = Object.hasOwn(policy.commands, wanted) ? policy.commands[wanted] : undefined;
    if (command !== undefined) return { ok: true, command, label: `exec command "${wanted}"` };
    return {
      ok: false,
      errorCode:
        exec?.command === undefined
          ? JOB_ERROR_CODES.missingCommand
          : JOB_ERROR_CODES.unknownCommand,
      error:
        exec?.command === undefined
          ? `exec: the template names no command (exec.command) and this daemon has no command named "${DEFAULT_COMMAND_NAME}" (${known(policy.commands)}); define one with --exec-command ${DEFAULT_COMMAND_NAME}=COMMAND`
          : `exec: this daemon has no exec command named "${wanted}" (${known(policy.commands)}); define it with --exec-command ${wanted}=COMMAND`,
    };
  }
  if (!policy.allowTemplateCommands) {
    return {
      ok: false,
      errorCode: JOB_ERROR_CODES.commandRefused,
      error: `exec: the template's exec.command is a literal command, and this daemon runs only its named commands (${known(policy.commands)}); name one in the template, or start the daemon with --exec-allow-template-commands`,
    };
  }
  if (exec?.pushed_by_admin !== true) {
    return {
      ok: false,
      errorCode: JOB_ERROR_CODES.commandRefused,
      error:
        "exec: the template's literal exec.command was not pushed with an admin token; push the template again with one",
    };
  }
  return { ok: true, command: wanted, label: "the template's exec.command" };
}
