import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, it } from 'vitest';

import { packageRoot } from '../../src/util/paths.js';
import { VERSION } from '../../src/version/index.js';
import { runCli } from '../helpers/cli.js';

const read = (file: string) => readFileSync(join(packageRoot, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; license: string };

it('reports package.json version as --version (the one version source)', async () => {
  expect(VERSION).toBe(pkg.version);
  const result = await runCli(['--version']);
  expect(result).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
});

it('ships the full text of the licence package.json declares', () => {
  expect(pkg.license).toBe('Apache-2.0');
  const licence = read('LICENSE');
  expect(licence).toMatch(/^\s+Apache License\s+Version 2\.0, January 2004/);
  for (let section = 1; section <= 9; section += 1) {
    expect(licence).toMatch(new RegExp(`^\\s+${section}\\. [A-Z]`, 'm'));
  }
  expect(licence).toContain('END OF TERMS AND CONDITIONS');
  expect(licence).toContain('APPENDIX: How to apply the Apache License to your work.');
});

it('has a changelog section for the current version (Keep a Changelog)', () => {
  const changelog = read('CHANGELOG.md');
  expect(changelog).toMatch(/^## \[Unreleased\]$/m);
  const escaped = pkg.version.replace(/\./g, '\\.');
  expect(changelog).toMatch(new RegExp(`^## \\[${escaped}\\]( - .+)?$`, 'm'));
  expect(changelog).toMatch(/^### (Added|Changed|Fixed|Removed|Deprecated|Security)$/m);
});
