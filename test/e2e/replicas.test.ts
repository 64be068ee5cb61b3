import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { sql } from 'slonik';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import { packageRoot } from '../../src/util/paths.js';
import { CLI, cliEnv, runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { SYSTEM_USER_ID } from '../helpers/fixtures.js';
import { freePort } from '../helpers/net.js';

/**
 * The whole system as an operator runs it: two `run` replicas (separate processes, the real CLI
 * and HTTP server, in-process echo daemons) against one database, driven through the CLI and
 * the API only.
 */
const db = useTestDatabase();
const TOKEN = 'e2e-replica-token';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

interface Replica {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  log: string;
}
const replicas: Replica[] = [];

async function startReplica(): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'run', '--listen', `127.0.0.1:${port}`], {
    cwd: packageRoot,
    env: cliEnv({
      DATABASE_URL: db.url,
      PREBUILD_CONTROLLER_API_TOKEN: TOKEN,
      PREBUILD_CONTROLLER_RECONCILE_INTERVAL: '1s',
      PREBUILD_CONTROLLER_ECHO_DURATION: '100ms',
      PREBUILD_CONTROLLER_SHUTDOWN_TIMEOUT: '5s',
      LOG_LEVEL: 'info',
    }),
  });
  const replica: Replica = {
    url: `http://127.0.0.1:${port}`,
    child,
    exited: new Promise((resolve) => child.on('close', resolve)),
    log: '',
  };
  child.stdout?.on('data', (chunk: Buffer) => (replica.log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (replica.log += chunk.toString()));
  replicas.push(replica);
  await vi.waitFor(
    async () => {
      const response = await fetch(`${replica.url}/readyz`);
      expect(response.status).toBe(200);
    },
    { timeout: 30_000, interval: 200 },
  );
  return replica;
}

afterAll(async () => {
  for (const replica of replicas) {
    if (replica.child.exitCode === null) replica.child.kill('SIGKILL');
  }
});

async function api(replica: Replica, method: string, path: string, body?: unknown) {
  const response = await fetch(`${replica.url}/api/v1${path}`, {
    method,
    headers: auth,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const Counts = z.object({ live: z.number(), versions: z.number() });

/** System-owned, not deleted workspaces of the template, and how many versions they are on. */
async function prebuildCounts(template: string) {
  return db.pool.one(sql.type(Counts)`
    SELECT count(*)::int AS live, count(DISTINCT b.template_version_id)::int AS versions
    FROM workspaces w
    JOIN templates t ON t.id = w.template_id
    JOIN workspace_latest_builds b ON b.workspace_id = w.id
    WHERE t.name = ${template} AND w.owner_id = ${SYSTEM_USER_ID} AND NOT w.deleted`);
}

describe('two replicas, driven through the CLI and the API', () => {
  it('fill the pool, serve a claim, replenish, and replace prebuilds on a new version', async () => {
    const [a, b] = [await startReplica(), await startReplica()];
    const template = readFileSync(join(packageRoot, 'examples', 'quickstart.yaml'), 'utf8');

    const pushed = await runCli(['template', 'push', '-'], { DATABASE_URL: db.url }, template);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/created template default\/quickstart; version v1 is active/);

    // Both replicas report the same pool; exactly three prebuilds, all ready. `peak` is the
    // most live prebuilds seen while waiting: two reconcilers must never overshoot.
    let peak = 0;
    const waitForPool = async (version: string) => {
      peak = 0;
      await vi.waitFor(
        async () => {
          const counts = await prebuildCounts('quickstart');
          peak = Math.max(peak, counts.live);
          for (const replica of [a, b]) {
            const { body } = await api(replica, 'GET', '/presets');
            const preset = body.presets.find(
              (p: { template: string; template_version?: string }) =>
                p.template === 'quickstart' && p.template_version === version,
            );
            expect(preset).toMatchObject({ desired: 3, running: 3, ready: 3, starting: 0 });
          }
          expect(counts).toEqual({ live: 3, versions: 1 });
        },
        { timeout: 30_000, interval: 200 },
      );
      return peak;
    };
    expect(await waitForPool('v1')).toBe(3);

    const user = await api(b, 'POST', '/users', { username: 'erin' });
    expect(user.status).toBe(201);
    const claim = await api(b, 'POST', '/workspaces', {
      owner: 'erin',
      template: 'quickstart',
      preset: 'small',
      name: 'erins-box',
    });
    expect(claim.status).toBe(201);
    expect(claim.body).toMatchObject({
      claimed: true,
      workspace: { owner: 'erin', name: 'erins-box' },
    });
    const shown = await api(a, 'GET', `/workspaces/${claim.body.workspace.id as string}`);
    expect(shown.body).toMatchObject({ owner: 'erin', latest_build: { reason: 'claim' } });

    // Replenished to three (the claimed one is erin's now), on either replica.
    expect(await waitForPool('v1')).toBe(3);

    // A new version replaces every prebuild of the old one.
    const v2 = template.replace("parameters: { cpus: '2' }", "parameters: { cpus: '4' }");
    expect(v2).not.toBe(template);
    const second = await fetch(`${a.url}/api/v1/templates`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/yaml' },
      body: v2,
    });
    expect(second.status).toBe(201);
    // While the old version drains, at most desired (3) old plus desired new prebuilds live.
    expect(await waitForPool('v2')).toBeLessThanOrEqual(6);
    const erin = await api(a, 'GET', '/workspaces?owner=erin');
    expect(erin.body.workspaces.map((w: { name: string }) => w.name)).toEqual(['erins-box']);

    for (const replica of [a, b]) replica.child.kill('SIGTERM');
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
  }, 120_000);
});
