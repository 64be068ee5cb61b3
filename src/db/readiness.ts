import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';

import type { Readiness } from '../http/app.js';
import { pgErrorCode } from './errors.js';
import { type MigrationFile, pendingMigrations, readMigrations } from './migrate.js';

const AppliedRow = z.object({ version: z.number(), name: z.string(), checksum: z.string() });

/** Ready = the database answers and every migration file is applied, none edited, none unknown. */
export async function databaseReadiness(
  pool: DatabasePool,
  files: readonly MigrationFile[] = readMigrations(),
): Promise<Readiness> {
  try {
    const applied = await pool.any(
      sql.type(AppliedRow)`SELECT version, name, checksum FROM schema_migrations ORDER BY version`,
    );
    const pending = pendingMigrations(files, applied);
    if (pending.length > 0) {
      return {
        ready: false,
        checks: {
          database: 'ok',
          migrations: `pending: ${pending.map((m) => m.file).join(', ')}`,
        },
      };
    }
    return { ready: true, checks: { database: 'ok', migrations: 'ok' } };
  } catch (error) {
    const code = pgErrorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    if (code === '42P01') {
      return { ready: false, checks: { database: 'ok', migrations: 'not applied' } };
    }
    return { ready: false, checks: { database: message, migrations: 'unknown' } };
  }
}
