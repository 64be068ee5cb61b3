import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { packageRoot } from '../../src/util/paths.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export const CLI = join(packageRoot, 'bin', 'prebuild-controller.js');

/** Environment for a child CLI: no inherited database settings unless given. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...extra };
  for (const key of ['DATABASE_URL', 'TEST_DATABASE_URL']) {
    if (!(key in extra)) delete env[key];
  }
  return env;
}

/** Runs the built CLI (dist/) to completion. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  stdin?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(env), cwd: packageRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}
