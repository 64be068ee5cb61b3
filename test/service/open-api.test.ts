import { spawn } from 'node:child_process';

import { describe, expect, it, vi } from 'vitest';

import { packageRoot } from '../../src/util/paths.js';
import { CLI, cliEnv, runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';

const db = useTestDatabase();

describe('run: no open API by accident', () => {
  it('refuses to listen beyond loopback without a token: exit code 2, one line', async () => {
    const port = await freePort();
    const result = await runCli(['run', '--listen', `0.0.0.0:${port}`], { DATABASE_URL: db.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `prebuild-controller: refusing to listen on 0.0.0.0:${port} without an API token: set PREBUILD_CONTROLLER_API_TOKEN (or PREBUILD_CONTROLLER_API_TOKEN_FILE), listen on 127.0.0.1, or pass --insecure-no-token\n`,
    );
    expect(result.stdout).toBe('');
  });

  it('starts with --insecure-no-token and still answers loopback requests without a token', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--listen', `0.0.0.0:${port}`, '--insecure-no-token', '--provisioner', 'none'],
      { env: cliEnv({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' }), cwd: packageRoot },
    );
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await vi.waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`run exited: ${log}`);
          const response = await fetch(`http://127.0.0.1:${port}/api/v1/templates`);
          expect(response.status).toBe(200);
        },
        { timeout: 30_000, interval: 200 },
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(log).toContain('listening beyond loopback without an API token (--insecure-no-token)');
  });
});
