import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { maskPassword } from '../../src/db/errors.js';
import { useTestDatabase } from '../helpers/db.js';
import { freePort, silentServer } from '../helpers/net.js';

const db = useTestDatabase();
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = fileURLToPath(new URL('../jobs/fixtures/cli.ts', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function start(args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

const lines = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; [key: string]: unknown });

describe('run against a database that accepts TCP but never answers', () => {
  it(
    'says where it connects, retries with backoff saying so, and serves once the database answers',
    { timeout: 90_000 },
    async () => {
      const server = await silentServer();
      cleanups.push(() => server.close());
      const real = new URL(db.url);
      const url = new URL(db.url);
      url.hostname = '127.0.0.1';
      url.port = String(server.port);
      const port = await freePort();
      const run = start(['run', '--listen', `127.0.0.1:${port}`, '--provisioner', 'none'], {
        DATABASE_URL: url.toString(),
        PREBUILD_CONTROLLER_DATABASE_CONNECT_TIMEOUT: '300ms',
      });
      const masked = maskPassword(url.toString());
      await vi.waitFor(
        () =>
          expect(lines(run.output()).filter((l) => l.msg.includes('retrying in')).length).toBe(2),
        { timeout: 30_000, interval: 100 },
      );
      const logged = lines(run.output());
      expect(logged[0]?.msg).toBe(`connecting to PostgreSQL at ${masked}`);
      const retries = logged.filter((l) => l.msg.includes('retrying in'));
      for (const [i, retry] of retries.entries()) {
        expect(retry).toMatchObject({ level: 'warn', attempt: i + 1 });
        expect(retry.msg).toMatch(
          new RegExp(
            `^cannot connect to PostgreSQL at ${masked.replace(/[.*?]/g, '\\$&')}: no answer within 300ms .*; retrying in \\d`,
          ),
        );
      }
      if (url.password) expect(run.output()).not.toContain(`:${url.password}@`);
      expect(run.child.exitCode).toBeNull();
      // The database answers again: the same process comes up.
      server.relayTo(real.hostname, Number(real.port));
      await vi.waitFor(
        async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200),
        { timeout: 40_000, interval: 200 },
      );
      expect(run.output()).toContain(`PostgreSQL at ${masked} answers`);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    },
  );
});
