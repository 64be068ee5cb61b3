import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/util/paths.js';
import { CLI, cliEnv, runCli } from '../helpers/cli.js';
import { createEmptyDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';

const STEPS = [
  'migrations_applied',
  'serving',
  'template_pushed',
  'prebuild_ready',
  'prebuild_ready',
  'prebuild_claimed',
  'metrics',
  'replacement_created',
  'done',
  'stopped',
];

interface Step {
  step: string;
  message: string;
  elapsed_ms: number;
  [detail: string]: unknown;
}

const parse = (stdout: string): Step[] =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Step);

describe('prebuild-controller demo', { timeout: 120_000 }, () => {
  let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
  beforeAll(async () => {
    db = await createEmptyDatabase();
  });
  afterAll(() => db.drop());

  it('migrates, pushes the template, serves a claim, moves the metrics, then stops with 0', async () => {
    const port = await freePort();
    const result = await runCli(['demo', '--listen', `127.0.0.1:${port}`], {
      DATABASE_URL: db.url,
    });
    expect(result.stderr).not.toMatch(/prebuild-controller: /);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const expected = [
      /^\[ *\d+\.\ds\] migrations applied \(\d+ new\) on the database of DATABASE_URL$/,
      new RegExp(`controller serving on http://127\\.0\\.0\\.1:${port} with the echo provisioner$`),
      /template pushed: demo \(preset small, 2 prebuilds\)$/,
      /prebuild ready \(1\/2\)$/,
      /prebuild ready \(2\/2\)$/,
      /prebuild claimed: prebuild-\S+ is now demo-[0-9a-f]{6} of demo-user \(claim took \d+ ms\)$/,
      /metrics: coderd_prebuilt_workspaces_claimed_total 0 -> 1, coderd_prebuilt_workspaces_created_total \d+$/,
      /replacement prebuild created: prebuild-\S+$/,
      /demo done in \d+\.\d s$/,
      /stopped$/,
    ];
    expect(lines).toHaveLength(expected.length);
    expected.forEach((pattern, index) => expect(lines[index]).toMatch(pattern));
  });

  it('--json prints one object per step, in order, on a database it already used', async () => {
    const port = await freePort();
    const result = await runCli(['demo', '--json', '--listen', `127.0.0.1:${port}`], {
      DATABASE_URL: db.url,
    });
    expect(result.code).toBe(0);
    const steps = parse(result.stdout);
    expect(steps.map((s) => s.step)).toEqual(STEPS);
    expect(steps[0]).toMatchObject({ applied: 0, embedded_database: false });
    const claimed = steps.find((s) => s.step === 'prebuild_claimed') as Step;
    expect(claimed).toMatchObject({ owner: 'demo-user', claim_latency_ms: expect.any(Number) });
    const metrics = steps.find((s) => s.step === 'metrics') as Step;
    expect(metrics).toMatchObject({
      claimed_total_before: 1,
      coderd_prebuilt_workspaces_claimed_total: 2,
    });
    expect(metrics.coderd_prebuilt_workspaces_created_total).toBeGreaterThanOrEqual(3);
    const elapsed = steps.map((s) => s.elapsed_ms);
    expect([...elapsed].sort((a, b) => a - b)).toEqual(elapsed);
  });

  it('--keep serves until SIGTERM, then stops cleanly with 0', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [CLI, 'demo', '--keep', '--json', '--listen', `127.0.0.1:${port}`],
      { env: cliEnv({ DATABASE_URL: db.url }), cwd: packageRoot },
    );
    let stdout = '';
    const kept = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('"step":"keep"')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await Promise.race([kept, exited]);
    const keep = parse(stdout).find((s) => s.step === 'keep') as Step;
    expect(keep.url).toBe(`http://127.0.0.1:${port}`);
    const presets = await fetch(`http://127.0.0.1:${port}/api/v1/presets`);
    expect(presets.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(parse(stdout).at(-1)?.step).toBe('stopped');
  });

  it('stops cleanly with 0 on SIGTERM in the middle of the sequence', async () => {
    const fresh = await createEmptyDatabase();
    try {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [CLI, 'demo', '--json', '--echo-duration', '3s', '--listen', `127.0.0.1:${port}`],
        { env: cliEnv({ DATABASE_URL: fresh.url }), cwd: packageRoot },
      );
      let stdout = '';
      const pushed = new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('"step":"template_pushed"')) resolve();
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await Promise.race([pushed, exited]);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const steps = parse(stdout).map((s) => s.step);
      expect(steps.slice(0, 3)).toEqual(['migrations_applied', 'serving', 'template_pushed']);
      expect(steps).not.toContain('done');
      expect(steps.at(-1)).toBe('stopped');
    } finally {
      await fresh.drop();
    }
  });

  it('fails with one line and exit code 2 when the port is in use', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    try {
      const result = await runCli(['demo', '--listen', `127.0.0.1:${port}`], {
        DATABASE_URL: db.url,
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `prebuild-controller: demo failed: cannot listen on 127.0.0.1:${port}: the address is in use (pass --listen 127.0.0.1:<free port>)\n`,
      );
      expect(
        result.stderr.split('\n').filter((l) => l.startsWith('prebuild-controller:')),
      ).toHaveLength(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
