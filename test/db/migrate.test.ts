import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { main } from '../../src/cli/main.js';
import { LOCKS } from '../../src/db/locks.js';
import { createLogger } from '../../src/log/logger.js';

import { createDbPool } from '../../src/db/pool.js';
import { databaseReadiness } from '../../src/db/readiness.js';
import { migrate, MigrationError, readMigrations } from '../../src/db/migrate.js';
import { silentLogger } from '../../src/log/logger.js';
import { migrationsDir } from '../../src/util/paths.js';
import { createEmptyDatabase } from '../helpers/db.js';
import { silentServer } from '../helpers/net.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function emptyDatabase() {
  const db = await createEmptyDatabase();
  cleanups.push(() => db.drop());
  return db;
}

function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  cpSync(migrationsDir, dir, { recursive: true });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function appliedVersions(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    return result.rows.map((row) => row.version);
  } finally {
    await client.end();
  }
}

describe('migrate', () => {
  it('applies every migration once when two migrators start at the same moment', async () => {
    const db = await emptyDatabase();
    const files = readMigrations();
    const [first, second] = await Promise.all([
      migrate(db.url, silentLogger()),
      migrate(db.url, silentLogger()),
    ]);
    // One of them applied everything; the other waited on the lock and found nothing to do.
    expect([...first, ...second].sort()).toEqual(files.map((f) => f.file));
    expect(Math.min(first.length, second.length)).toBe(0);
    expect(await appliedVersions(db.url)).toEqual(files.map((f) => f.version));
    // A third run is a no-op.
    expect(await migrate(db.url, silentLogger())).toEqual([]);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const db = await emptyDatabase();
    const dir = copyOfMigrations();
    await migrate(db.url, silentLogger(), readMigrations(dir));
    const first = readdirSync(dir).sort()[0] as string;
    writeFileSync(join(dir, first), '-- edited\nSELECT 1;\n');
    const error = await migrate(db.url, silentLogger(), readMigrations(dir)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(
      new RegExp(`${first} was edited after it was applied`),
    );
  });

  it('refuses to run against a database that has migrations this code does not know', async () => {
    const db = await emptyDatabase();
    const files = readMigrations();
    const future = [
      ...files,
      {
        version: files.length + 1,
        name: 'from_the_future',
        file: 'x.sql',
        sql: 'SELECT 1',
        checksum: 'f',
      },
    ];
    await migrate(db.url, silentLogger(), future);
    const error = await migrate(db.url, silentLogger(), files).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/does not know: it is older than the database/);
  });

  it('rolls a failing migration back completely and records nothing for it', async () => {
    const db = await emptyDatabase();
    const dir = copyOfMigrations();
    const next = String(readdirSync(dir).length + 1).padStart(4, '0');
    writeFileSync(
      join(dir, `${next}_broken.sql`),
      'CREATE TABLE half_done (id int);\nSELECT no_such_column FROM organizations;\n',
    );
    const error = await migrate(db.url, silentLogger(), readMigrations(dir)).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(
      new RegExp(`migration ${next}_broken.sql failed: .*no_such_column`),
    );
    expect(await appliedVersions(db.url)).toEqual(readMigrations().map((f) => f.version));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const exists = await client.query(`SELECT to_regclass('half_done') AS t`);
    await client.end();
    expect(exists.rows[0]).toEqual({ t: null });
  });

  it('fails with one clear line after the connect timeout against a database that never answers', async () => {
    const server = await silentServer();
    cleanups.push(() => server.close());
    const url = `postgres://someone:hunter2@127.0.0.1:${server.port}/nothing`;
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    let code: number;
    try {
      code = await main([
        'migrate',
        '--database-url',
        url,
        '--database-connect-timeout',
        '300ms',
        '--log-level',
        'silent',
      ]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(1);
    expect(server.accepted()).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `^prebuild-controller: cannot connect to PostgreSQL at postgres://someone:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/nothing: no answer within 300ms \\(.*\\)\\n$`,
      ),
    );
    expect(stderr).not.toContain('hunter2');
  });

  it("says it waits for another replica's migration lock, and gives up after the lock timeout", async () => {
    const db = await emptyDatabase();
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [LOCKS.migrate.toString()]);
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', stream: { write: (line) => lines.push(line) } });
    const error = await migrate(db.url, logger, undefined, { lockTimeoutMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toBe(
      'another replica held the migration lock for more than 300ms (PREBUILD_CONTROLLER_MIGRATION_LOCK_TIMEOUT); is a migration stuck?',
    );
    const waiting = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(waiting).toContainEqual(
      expect.objectContaining({
        msg: "waiting for another replica's migration lock (it is migrating)",
        holder: expect.objectContaining({ pid: expect.any(Number) }),
      }),
    );
    // Once the other replica is done, migrating goes on (and logs how long it waited).
    const pending = migrate(db.url, logger);
    await vi.waitFor(() =>
      expect(lines.filter((l) => l.includes('waiting for another replica')).length).toBe(2),
    );
    await holder.query('SELECT pg_advisory_unlock($1::bigint)', [LOCKS.migrate.toString()]);
    expect((await pending).length).toBe(readMigrations().length);
    expect(lines.some((l) => l.includes('got the migration lock'))).toBe(true);
  });

  it('rejects migration files that are not numbered in sequence', () => {
    const dir = copyOfMigrations();
    writeFileSync(join(dir, '0042_gap.sql'), 'SELECT 1;');
    expect(() => readMigrations(dir)).toThrow(/without gaps: 0042_gap.sql/);
    writeFileSync(join(dir, 'notes.sql'), 'SELECT 1;');
    expect(() => readMigrations(dir)).toThrow(/must look like 0001_some_name.sql/);
  });

  it('reports readiness only when every migration is applied', async () => {
    const db = await emptyDatabase();
    const pool = await createDbPool(db.url, { logger: silentLogger() });
    cleanups.push(() => pool.end());
    expect(await databaseReadiness(pool)).toEqual({
      ready: false,
      checks: { database: 'ok', migrations: 'not applied' },
    });
    const files = readMigrations();
    await migrate(db.url, silentLogger(), files.slice(0, 2));
    const partial = await databaseReadiness(pool, files);
    expect(partial.ready).toBe(false);
    expect(partial.checks.migrations).toMatch(/^pending: 0003_/);
    await migrate(db.url, silentLogger(), files);
    expect(await databaseReadiness(pool, files)).toEqual({
      ready: true,
      checks: { database: 'ok', migrations: 'ok' },
    });
  });
});
