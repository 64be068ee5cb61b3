import { describe, expect, it, vi } from 'vitest';

import { main } from '../../src/cli/main.js';

async function cli(args: string[]) {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('durations typed on the command line have an upper bound', () => {
  it('workspaces extend: a duration from now is at most 365d (no "Invalid time value")', async () => {
    const far = await cli(['workspaces', 'extend', 'bob/ws', '1000000000d']);
    expect(far).toEqual({
      code: 2,
      stderr:
        'prebuild-controller: deadline: "1000000000d" is too far ahead (a duration from now is at most 365d)\n',
    });
  });

  it('settings: a reconcile interval beyond the 24d timer limit', async () => {
    const result = await cli(['run', '--reconcile-interval', '1000000000d']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'prebuild-controller: invalid configuration: --reconcile-interval (env PREBUILD_CONTROLLER_RECONCILE_INTERVAL): must be at most 24d, got "1000000000d"\n',
    );
  });
});
