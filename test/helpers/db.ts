import { randomBytes } from 'node:crypto';

import pg from 'pg';
import type { DatabasePool } from 'slonik';
import { afterAll, beforeAll, inject } from 'vitest';

import { createDbPool } from '../../src/db/pool.js';
import { silentLogger } from '../../src/log/logger.js';
import { databaseUrl } from '../setup/global.js';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly pool: DatabasePool;
}

async function adminQuery(text: string): Promise<void> {
  const { adminUrl } = inject('testDatabase');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh database cloned from the migrated template; drop it with `dropTestDatabase`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl, template, runId } = inject('testDatabase');
  const name = `pc_t_${runId}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = databaseUrl(adminUrl, name);
  const pool = await createDbPool(url, { logger: silentLogger(), maximumPoolSize: 20 });
  return { name, url, pool };
}

export async function dropTestDatabase(db: TestDatabase): Promise<void> {
  await db.pool.end();
  await adminQuery(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
}

/**
 * Registers beforeAll/afterAll hooks giving the file its own database. The returned object's
 * fields are filled in once `beforeAll` has run.
 */
export function useTestDatabase(): TestDatabase {
  const holder = {} as { current?: TestDatabase };
  beforeAll(async () => {
    holder.current = await createTestDatabase();
  });
  afterAll(async () => {
    if (holder.current) await dropTestDatabase(holder.current);
  });
  const get = (): TestDatabase => {
    if (!holder.current) throw new Error('test database used before beforeAll ran');
    return holder.current;
  };
  return {
    get name() {
      return get().name;
    },
    get url() {
      return get().url;
    },
    get pool() {
      return get().pool;
    },
  };
}

/** An empty database (no migrations), for migrator tests. */
export async function createEmptyDatabase(): Promise<{
  name: string;
  url: string;
  drop(): Promise<void>;
}> {
  const { adminUrl, runId } = inject('testDatabase');
  const name = `pc_e_${runId}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    name,
    url: databaseUrl(adminUrl, name),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
