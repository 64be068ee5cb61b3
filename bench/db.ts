import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { silentLogger } from '../src/log/logger.js';

export interface BenchServer {
  /** Where the server came from, for the report. */
  readonly source: string;
  readonly adminUrl: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * BENCH_DATABASE_URL (a role that may create databases) when set; else an embedded PostgreSQL in
 * a temporary folder with its default, durable settings (fsync on), removed afterwards.
 */
export async function startBenchServer(): Promise<BenchServer> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) return { source: 'BENCH_DATABASE_URL', adminUrl: given, stop: async () => undefined };
  const dataDir = mkdtempSync(join(tmpdir(), 'prebuild-controller-bench-'));
  chmodSync(dataDir, 0o755);
  const server = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    database: 'postgres',
    logger: silentLogger(),
  });
  return {
    source: 'embedded-postgres',
    adminUrl: server.url,
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = '/' + encodeURIComponent(database);
  return url.toString();
}

async function admin(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database named `name` (dropped first if it exists). */
export async function createBenchDatabase(adminUrl: string, name: string): Promise<string> {
  await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = databaseUrl(adminUrl, name);
  await migrate(url, silentLogger());
  return url;
}

export async function dropBenchDatabase(adminUrl: string, name: string): Promise<void> {
  await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export async function serverInfo(
  url: string,
): Promise<{ version: string; settings: Record<string, string> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const version = await client.query<{ v: string }>('SELECT version() AS v');
    const settings = await client.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings
       WHERE name IN ('shared_buffers', 'work_mem', 'fsync', 'synchronous_commit', 'jit', 'max_connections')`,
    );
    return {
      version: version.rows[0]?.v ?? 'unknown',
      settings: Object.fromEntries(
        settings.rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]),
      ),
    };
  } finally {
    await client.end();
  }
}
