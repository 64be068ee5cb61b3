import { Command, CommanderError } from 'commander';

import { ConfigError } from '../config/load.js';
import { MigrationError } from '../db/migrate.js';
import { AppError } from '../http/errors.js';
import { registerClaim } from './commands/claim.js';
import { registerDemo } from './commands/demo.js';
import { registerJobs } from './commands/jobs.js';
import { registerMigrate } from './commands/migrate.js';
import { registerPrebuilds } from './commands/prebuilds.js';
import { registerProvisionerd } from './commands/provisionerd.js';
import { registerRun } from './commands/run.js';
import { registerSchedule } from './commands/schedule.js';
import { registerTemplate } from './commands/template.js';
import { registerTokens } from './commands/tokens.js';
import { registerUsers } from './commands/users.js';
import { registerWorkspaceCreate } from './commands/workspace-create.js';
import { registerWorkspaces } from './commands/workspaces.js';
import { CliError } from './errors.js';
import { VERSION } from '../version/index.js';

const NAME = 'prebuild-controller';

export function buildProgram(): Command {
  const program = new Command(NAME)
    .description(
      'Keeps pools of prebuilt workspaces warm, hands them out on claim, and runs the workspace lifecycle, on PostgreSQL.',
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      // Usage errors are one line: what is wrong, and where to look.
      outputError: (text, write) =>
        write(`${NAME}: ${text.trim().replace(/^error: /, '')} (see --help)\n`),
    });
  registerRun(program);
  registerMigrate(program);
  registerTemplate(program);
  registerSchedule(program);
  registerUsers(program);
  registerWorkspaces(program, [registerWorkspaceCreate]);
  registerClaim(program);
  registerPrebuilds(program);
  registerProvisionerd(program);
  registerJobs(program);
  registerTokens(program);
  registerDemo(program);
  const override = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

function describe(error: unknown): { message: string; exitCode: number } {
  if (error instanceof ConfigError) return { message: error.message, exitCode: 2 };
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof MigrationError) return { message: error.message, exitCode: 1 };
  if (error instanceof AppError) {
    // The same checks the API makes (bad input, unknown or conflicting names), as one line.
    const details = error.details.map((d) => `${d.path}: ${d.message}`).join('; ');
    return { message: details ? `${error.message} (${details})` : error.message, exitCode: 1 };
  }
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    const detail = code && !error.message.includes(code) ? ` (${code})` : '';
    return { message: error.message + detail, exitCode: 1 };
  }
  return { message: String(error), exitCode: 1 };
}

/** Runs the CLI; resolves with the exit code instead of exiting, so tests can call it. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit with 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    const { message, exitCode } = describe(error);
    process.stderr.write(`${NAME}: ${message}\n`);
    return exitCode;
  }
}
