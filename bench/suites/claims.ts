import { type DatabasePool, sql } from 'slonik';

import { createDbPool } from '../../src/db/pool.js';
import { withTransaction } from '../../src/db/tx.js';
import { silentLogger } from '../../src/log/logger.js';
import { claimPrebuiltWorkspace } from '../../src/prebuilds/claim.js';
import { summarize } from '../stats.js';
import type { BenchSuite } from './types.js';

const CLAIMERS = 32;

interface Claimed {
  readonly workspaceId: string;
  readonly owner: string;
}

/**
 * 32 concurrent claimers, each on its own connection, claim from one preset's pool of ready
 * prebuilds until none is left. Each claim is its own transaction (claim statement + commit; the
 * claim build the API inserts in the same transaction is not part of this). Then the double-claim
 * check: every prebuild claimed exactly once, and owned by the claimer that got it.
 * Consumes the pool: runs after the read-only suites.
 */
export const claims: BenchSuite = {
  name: 'claims',
  description: `${CLAIMERS} concurrent claimers until the pool is empty`,
  async run({ url, shape }) {
    const pool: DatabasePool = await createDbPool(url, {
      logger: silentLogger(),
      maximumPoolSize: CLAIMERS + 2,
    });
    try {
      const presetId = (await pool.oneFirst(
        sql.unsafe`SELECT id FROM template_version_presets WHERE name = 'claimable'`,
      )) as string;
      const owners = (await pool.anyFirst(
        sql.unsafe`SELECT id FROM users WHERE NOT is_system ORDER BY username LIMIT ${CLAIMERS}`,
      )) as readonly string[];
      // Open all connections first, so connection setup is not counted as claim latency.
      await Promise.all(
        owners.map(() => pool.connect((c) => c.query(sql.unsafe`SELECT pg_sleep(0.05)`))),
      );
      const latencies: number[] = [];
      const claimed: Claimed[] = [];
      let misses = 0;
      const started = performance.now();
      await Promise.all(
        owners.map(async (owner, claimer) => {
          for (let n = 0; ; n++) {
            const t0 = performance.now();
            const row = await withTransaction(pool, {}, (tx) =>
              claimPrebuiltWorkspace(tx, {
                presetId,
                ownerId: owner,
                name: `bench-${claimer}-${n}`,
                autostartSchedule: null,
                nextStartAt: null,
                ttlMs: 8 * 3_600_000,
                now: new Date(),
              }),
            );
            latencies.push(performance.now() - t0);
            if (!row) {
              misses += 1;
              return;
            }
            claimed.push({ workspaceId: row.id, owner });
          }
        }),
      );
      const wallMs = performance.now() - started;
      const distinct = new Set(claimed.map((c) => c.workspaceId)).size;
      const owned = (await pool.any(
        sql.unsafe`SELECT w.id, w.owner_id FROM workspaces w
                   JOIN workspace_builds b ON b.workspace_id = w.id AND b.build_number = 1
                   WHERE b.template_version_preset_id = ${presetId}`,
      )) as readonly { id: string; owner_id: string }[];
      const ownerOf = new Map(owned.map((r) => [r.id, r.owner_id]));
      const wrongOwner = claimed.filter((c) => ownerOf.get(c.workspaceId) !== c.owner).length;
      const doubleClaims = claimed.length - distinct;
      const ok = distinct === shape.claimPool && doubleClaims === 0 && wrongOwner === 0;
      const latency = summarize(latencies);
      const throughput = Math.round((claimed.length / wallMs) * 1000);
      return {
        rows: [
          { metric: 'claims/s (32 claimers)', value: throughput },
          { metric: 'claim latency p50', value: latency.median, unit: 'ms' },
          { metric: 'claim latency p99', value: latency.p99, unit: 'ms' },
          {
            metric: 'double-claim check',
            value: `${ok ? 'OK' : 'FAILED'}: ${claimed.length} claims, ${distinct} distinct of ${shape.claimPool}, ${doubleClaims} double, ${wrongOwner} wrong owner`,
          },
        ],
        details: {
          claimers: CLAIMERS,
          pool: shape.claimPool,
          claims: claimed.length,
          distinct,
          doubleClaims,
          wrongOwner,
          misses,
          ok,
          wallMs: Math.round(wallMs),
          throughputPerSecond: throughput,
          latency,
        },
      };
    } finally {
      await pool.end();
    }
  },
};
