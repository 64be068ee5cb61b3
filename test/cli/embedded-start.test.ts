import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/util/paths.js';
import { CLI, cliEnv } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';

async function waitReady(url: string, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    try {
      const response = await fetch(url);
      if (response.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready within ${ms} ms`);
}

const dataDir = mkdtempSync(join(tmpdir(), 'pc-start-'));
chmodSync(dataDir, 0o755);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** `npm start` without DATABASE_URL: the controller starts its own PostgreSQL and serves. */
async function startAndStop(): Promise<{ code: number | null; log: string }> {
  const port = await freePort();
  const pgPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      CLI,
      'run',
      '--listen',
      `127.0.0.1:${port}`,
      '--embedded-pg-port',
      String(pgPort),
      '--data-dir',
      dataDir,
    ],
    { env: cliEnv({ LOG_LEVEL: 'info' }), cwd: packageRoot },
  );
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    await waitReady(`http://127.0.0.1:${port}/readyz`, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${log}`, { cause: error });
  }
  child.kill('SIGTERM');
  return { code: await exited, log };
}

describe('run with the embedded database', () => {
  it('starts PostgreSQL under the data dir, migrates, serves /readyz, and stops cleanly on SIGTERM', async () => {
    const first = await startAndStop();
    expect(first.code).toBe(0);
    expect(first.log).toMatch(/initialising embedded PostgreSQL/);
    expect(first.log).toMatch(/applied migration/);
    expect(first.log).toMatch(/embedded PostgreSQL stopped/);
    // The second start reuses the cluster: no initdb, nothing to migrate.
    const second = await startAndStop();
    expect(second.code).toBe(0);
    expect(second.log).not.toMatch(/initialising embedded PostgreSQL/);
    expect(second.log).not.toMatch(/applied migration/);
  }, 120_000);
});
