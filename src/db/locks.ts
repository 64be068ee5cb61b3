import { sql } from 'slonik';
import { z } from 'zod';

import type { Db } from './sql-files.js';

/**
 * A 64-bit advisory lock key from a name (FNV-1a), so every lock in the system has a readable name
 * and no two features pick the same integer by accident.
 */
export function lockKey(name: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(name, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, hash);
}

export const LOCKS = {
  migrate: lockKey('prebuild-controller:migrate'),
  reconcile: lockKey('prebuild-controller:reconcile-prebuilds'),
  lifecycleScheduler: lockKey('prebuild-controller:lifecycle-scheduler'),
  workspace: (workspaceId: string) => lockKey(`prebuild-controller:workspace:${workspaceId}`),
} as const;

/**
 * `pg_try_advisory_xact_lock`: true when this transaction now holds the lock (until it ends),
 * false when another session holds it. Must run inside a transaction.
 */
export async function tryAdvisoryXactLock(tx: Db, key: bigint): Promise<boolean> {
  return tx.oneFirst(
    sql.type(z.object({ locked: z.boolean() }))`
      SELECT pg_try_advisory_xact_lock(${key.toString()}::bigint) AS locked`,
  );
}

/** `pg_advisory_xact_lock`: waits until this transaction holds the lock. */
export async function advisoryXactLock(tx: Db, key: bigint): Promise<void> {
  await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(${key.toString()}::bigint)`);
}
