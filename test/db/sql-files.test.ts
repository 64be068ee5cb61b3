import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadSqlQueries } from '../../src/db/sql-files.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
const queries = [...loadSqlQueries().values()];
let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
});

describe('every SQL file under sql/', () => {
  it('has queries', () => {
    expect(queries.length).toBeGreaterThan(0);
  });

  // PREPARE parses, resolves every table and column, and infers every parameter's type against
  // the migrated schema without running the query: a typo or a renamed column fails here.
  it.each(queries.map((q) => [q.name, q] as const))('%s prepares', async (_name, query) => {
    const statement = `check_${query.name.replace(/[^A-Za-z0-9_]/g, '_')}`.toLowerCase();
    await client.query(`PREPARE ${statement} AS ${query.text}`);
    const params = await client.query<{ parameter_types: string[] }>(
      'SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = $1',
      [statement],
    );
    await client.query(`DEALLOCATE ${statement}`);
    expect(params.rows[0]?.parameter_types).toHaveLength(query.params.length);
  });
});
