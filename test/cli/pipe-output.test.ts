import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/util/paths.js';
import { CLI, cliEnv } from '../helpers/cli.js';

/**
 * Runs the CLI with stdout on a pipe whose reader does not read until `holdMs` have passed, so the
 * pipe (64 KiB) is full long before the command is done: the process must wait for it to drain.
 */
function runThroughSlowPipe(
  args: readonly string[],
  holdMs: number,
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(), cwd: packageRoot });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.pause();
    setTimeout(() => {
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.stdout.resume();
    }, holdMs);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr }));
  });
}

describe('output through a pipe', () => {
  it('writes more than 1 MiB in full before exiting (schedule preview --json)', async () => {
    const args = [
      'schedule',
      'preview',
      join(packageRoot, 'examples', 'quickstart.yaml'),
      '--json',
      '--step',
      '1m',
      '--from',
      '2026-12-01T00:00:00Z',
      '--to',
      '2026-12-30T00:00:00Z',
    ];
    const result = await runThroughSlowPipe(args, 1000);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(1024 * 1024);
    const parsed = JSON.parse(result.stdout.toString('utf8')) as {
      presets: { points: unknown[] }[];
    };
    // 29 days of minutes, for each preset.
    expect(parsed.presets[0]?.points).toHaveLength(29 * 24 * 60);
  });
});
