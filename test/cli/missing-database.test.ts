import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { runCli } from '../helpers/cli.js';

const empty = mkdtempSync(join(tmpdir(), 'pc-nodb-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('a command without DATABASE_URL where there is no embedded database', () => {
  const commands = [
    ['users', 'list'],
    ['migrate'],
    ['prebuilds', 'status'],
    ['prebuilds', 'plan'],
    ['template', 'list'],
    ['workspaces', 'list'],
    ['jobs', 'show', '00000000-0000-4000-8000-000000000000'],
    ['claim', '--preset', 'small', '--user', 'alice'],
  ];

  it.each(commands.map((args) => [args.join(' '), args] as const))(
    '%s: fails with one line and creates nothing',
    async (_name, args) => {
      const result = await runCli(args, { PREBUILD_CONTROLLER_DATA_DIR: join(empty, '.data') });
      expect(result.stderr).toBe(
        `prebuild-controller: no DATABASE_URL and no embedded database under ${join(empty, '.data')}: set DATABASE_URL (or --data-dir to where "prebuild-controller run" keeps its database), or start the controller here first (npm start)\n`,
      );
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(readdirSync(empty)).toEqual([]);
    },
  );

  it('names the --data-dir it looked in', async () => {
    const result = await runCli(['users', 'list', '--data-dir', join(empty, 'elsewhere')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no embedded database under .*\/elsewhere: /);
  });
});
