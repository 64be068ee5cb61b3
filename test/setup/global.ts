import { randomBytes } from 'node:crypto';

import pg from 'pg';
import type { TestProject } from 'vitest/node';

import { migrate } from '../../src/db/migrate.js';
import { silentLogger } from '../../src/log/logger.js';
import { startTestServer } from './postgres-server.js';

export interface TestDatabaseInfo {
  readonly adminUrl: string;
  readonly template: string;
  readonly runId: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabase: TestDatabaseInfo;
  }
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = '/' + encodeURIComponent(database);
  return url.toString();
}

/**
 * Once per run: a PostgreSQL server and a migrated template database. Each test file clones the
 * template (CREATE DATABASE ... TEMPLATE), so files never share state.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer();
  const runId = randomBytes(4).toString('hex');
  const template = `pc_tpl_${runId}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  await migrate(databaseUrl(server.adminUrl, template), silentLogger());
  process.stderr.write(`test database server: ${server.source}\n`);
  project.provide('testDatabase', { adminUrl: server.adminUrl, template, runId });

  return async () => {
    const client = new pg.Client({ connectionString: server.adminUrl });
    await client.connect();
    try {
      const leftovers = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1`,
        [`pc_%_${runId}%`],
      );
      for (const { datname } of leftovers.rows) {
        await client.query(
          `DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`,
        );
      }
    } finally {
      await client.end();
    }
    await server.stop();
  };
}
