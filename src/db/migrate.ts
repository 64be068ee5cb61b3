import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import pg from 'pg';

import type { Logger } from '../log/logger.js';
import { migrationsDir } from '../util/paths.js';
import { formatDuration } from '../util/duration.js';
import { DatabaseConnectError, PG, pgErrorCode } from './errors.js';
import { LOCKS } from './locks.js';

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly file: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

/** A migration problem that needs a person: edited or unknown migrations, a bad file name. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function readMigrations(dir: string = migrationsDir): MigrationFile[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const migrations = files.map((file) => {
    const match = FILE_NAME.exec(file);
    if (!match) {
      throw new MigrationError(`migration file name ${file} must look like 0001_some_name.sql`);
    }
    const sql = readFileSync(join(dir, file), 'utf8');
    return {
      version: Number(match[1]),
      name: match[2] as string,
      file,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    };
  });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(
        `migrations must be numbered 1, 2, 3, ... without gaps: ${m.file} is number ${i + 1}`,
      );
    }
  });
  return migrations;
}

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

async function readApplied(client: pg.ClientBase): Promise<AppliedMigration[] | undefined> {
  const exists = await client.query<{ exists: boolean }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`,
  );
  if (!exists.rows[0]?.exists) return undefined;
  const result = await client.query<AppliedMigration>(
    'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
  );
  return result.rows;
}

/**
 * Compares what the database has applied with the files. Throws on an applied migration whose
 * file was edited or is missing (the database is newer than this code). Returns the pending files.
 */
export function pendingMigrations(
  files: readonly MigrationFile[],
  applied: readonly AppliedMigration[],
): MigrationFile[] {
  for (const row of applied) {
    const file = files.find((f) => f.version === row.version);
    if (!file) {
      throw new MigrationError(
        `the database has migration ${row.version} (${row.name}) that this version of prebuild-controller does not know: it is older than the database`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${file.file} was edited after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ${file.checksum.slice(0, 12)} on disk); add a new migration instead`,
      );
    }
  }
  const done = new Set(applied.map((row) => row.version));
  return files.filter((f) => !done.has(f.version));
}

/**
 * Applies pending migrations, each in its own transaction, under a session advisory lock so that
 * replicas starting together apply each migration exactly once (the others wait, then find
 * nothing to do). Returns the files applied by this call.
 */
export interface MigrateOptions {
  /** How long connecting may take (PREBUILD_CONTROLLER_DATABASE_CONNECT_TIMEOUT); default 10 s. */
  readonly connectTimeoutMs?: number;
  /**
   * How long to wait for another replica's migration lock
   * (PREBUILD_CONTROLLER_MIGRATION_LOCK_TIMEOUT); default 10 min, 0 = no limit.
   */
  readonly lockTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 600_000;

export async function migrate(
  connectionString: string,
  logger: Logger,
  files: readonly MigrationFile[] = readMigrations(),
  options: MigrateOptions = {},
): Promise<string[]> {
  const log = logger.child({ component: 'migrate' });
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const client = new pg.Client({
    connectionString,
    application_name: 'prebuild-controller migrate',
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // A connection lost later fails the query in flight; the event itself must not crash the process.
  client.on('error', (error) => log.debug({ err: error }, 'migration connection error'));
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new DatabaseConnectError(connectionString, error, connectTimeoutMs);
  }
  try {
    await lockMigrations(client, log, options.lockTimeoutMs ?? DEFAULT_MIGRATION_LOCK_TIMEOUT_MS);
    try {
      await client.query(CREATE_TABLE);
      const pending = pendingMigrations(files, (await readApplied(client)) ?? []);
      for (const migration of pending) {
        const started = performance.now();
        await client.query('BEGIN');
        try {
          await client.query(
            'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
            [migration.version, migration.name, migration.checksum],
          );
          await client.query(migration.sql);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          const message = error instanceof Error ? error.message : String(error);
          throw new MigrationError(`migration ${migration.file} failed: ${message}`, {
            cause: error,
          });
        }
        log.info(
          { migration: migration.file, ms: Math.round(performance.now() - started) },
          'applied migration',
        );
      }
      if (pending.length === 0) log.debug('database schema is current');
      return pending.map((m) => m.file);
    } finally {
      // Closing the connection releases the lock too; an unlock error must not hide the real one.
      await client
        .query('SELECT pg_advisory_unlock($1::bigint)', [LOCKS.migrate.toString()])
        .catch(() => undefined);
    }
  } finally {
    await client.end();
  }
}

/**
 * Takes the session advisory lock of migrations. When another replica holds it (it is migrating),
 * says so and waits at most `lockTimeoutMs` (PostgreSQL's lock_timeout, 0 = no limit).
 */
async function lockMigrations(
  client: pg.Client,
  log: Logger,
  lockTimeoutMs: number,
): Promise<void> {
  const key = LOCKS.migrate.toString();
  const tried = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1::bigint) AS locked',
    [key],
  );
  if (tried.rows[0]?.locked) return;
  const holder = await client.query<{ pid: number; application_name: string }>(
    `SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
     WHERE l.locktype = 'advisory' AND l.granted
       AND (l.classid::bigint << 32) | l.objid::bigint = $1::bigint
     LIMIT 1`,
    [key],
  );
  log.info(
    { holder: holder.rows[0], lockTimeoutMs },
    "waiting for another replica's migration lock (it is migrating)",
  );
  const started = performance.now();
  await client.query(`SET lock_timeout = ${Math.max(0, Math.round(lockTimeoutMs))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
  } catch (error) {
    if (pgErrorCode(error) === PG.lockNotAvailable) {
      throw new MigrationError(
        `another replica held the migration lock for more than ${formatDuration(lockTimeoutMs)} (PREBUILD_CONTROLLER_MIGRATION_LOCK_TIMEOUT); is a migration stuck?`,
        { cause: error },
      );
    }
    throw error;
  }
  await client.query('SET lock_timeout = 0');
  log.info({ waitedMs: Math.round(performance.now() - started) }, 'got the migration lock');
}
