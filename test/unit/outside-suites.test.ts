import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/util/paths.js';
import mainConfig, { OUTSIDE_SUITES } from '../../vitest.config.js';
import compatConfig from '../../vitest.coder-compat.config.js';

const read = (file: string) => readFileSync(join(packageRoot, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

function testFiles(dir: string): string[] {
  return readdirSync(join(packageRoot, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('npm test on a clone without ../shared', () => {
  it('leaves the Coder compatibility suite to its own script, which CI runs', () => {
    expect(OUTSIDE_SUITES).toEqual(['test/coder-compat/**']);
    expect(mainConfig.test?.exclude).toEqual(expect.arrayContaining(OUTSIDE_SUITES));
    expect(compatConfig.test?.include).toEqual(['test/coder-compat/**/*.test.ts']);
    expect(pkg.scripts['test:coder-compat']).toBe(
      'vitest run --config vitest.coder-compat.config.ts',
    );
    expect(pkg.scripts.test).toMatch(/&& vitest run && tsx scripts\/coder-compat-note\.ts$/);
    expect(read('.ci/run')).toMatch(/^npm test\nnpm run test:coder-compat\n$/m);
  });

  it('no test outside test/coder-compat reads ../shared', () => {
    const outside = testFiles('test').filter(
      (file) => !file.includes('/test/coder-compat/') && !file.endsWith('outside-suites.test.ts'),
    );
    for (const file of outside) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/['"/]shared['"/]/);
    }
  });

  it('prints one line saying the suite was not run when the seed is absent', () => {
    const note = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(packageRoot, 'scripts', 'coder-compat-note.ts')],
      {
        cwd: packageRoot,
        env: { ...process.env, COMPAT_SEED_FILE: join(packageRoot, 'no-such-seed.txt') },
        encoding: 'utf8',
      },
    );
    expect(note.status).toBe(0);
    expect(note.stderr).toBe('');
    expect(note.stdout).toMatch(
      /^Coder compatibility suite: not run \(no Coder prebuilds\.sql seed/,
    );
    expect(note.stdout.trim().split('\n')).toHaveLength(1);
  });
});
