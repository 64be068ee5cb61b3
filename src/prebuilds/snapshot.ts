import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';

import { readDemandWindows } from '../autoscaling/demand-reads.js';
import { AutoscalingInputs } from '../autoscaling/inputs.js';
import type { Db } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import type { GlobalSnapshot } from '../domain/prebuilds/types.js';
import {
  presetOrder,
  readCounts,
  readPrebuilds,
  readPresets,
  referencedPresetIds,
  type SnapshotOptions,
} from './snapshot-reads.js';

export type { SnapshotOptions } from './snapshot-reads.js';

/**
 * Reads everything one reconciliation pass decides from: six set-based queries (seven at most
 * with `parallel`; plus the autoscaling reads below), however many presets there are. Run it in
 * the caller's REPEATABLE READ READ ONLY transaction so that every query sees the same instant.
 *
 * The prebuilds are read before the presets, so the presets query returns the presets of old
 * versions only when prebuilds, in-progress builds or pending jobs still refer to them.
 *
 * With `parallel` (a pool), the counts, the presets and the forecasts' inputs are read on a
 * second connection at the same time as the prebuilds and the claim windows, in a transaction
 * that imports this one's snapshot (pg_export_snapshot), so both halves still see the same
 * instant. At 100k workspaces with 1M claim events on 2 cores this takes the pass from about 128
 * ms to about 92 ms (BENCHMARKS.md); it costs a second connection for the length of the read.
 *
 * With autoscaling policies, their inputs come along (`autoscaling`): the claim windows of every
 * preset (one more query) and the forecasts' cached profiles and lead times (see
 * AutoscalingInputs; pass the long-lived instance so the cache survives between passes).
 */
export async function loadSnapshot(
  tx: Db,
  now: Date,
  options: SnapshotOptions,
  parallel?: DatabasePool,
  autoscaling: AutoscalingInputs = new AutoscalingInputs(),
): Promise<GlobalSnapshot> {
  if (!parallel) {
    const prebuilds = await readPrebuilds(tx, now, options);
    const counts = await readCounts(tx, now, options);
    const presets = await readPresets(tx, true, referencedPresetIds({ ...prebuilds, ...counts }));
    const inputs = await autoscaling.load(tx, presets, now);
    return { presets: presets.sort(presetOrder), ...prebuilds, ...counts, autoscaling: inputs };
  }
  const snapshotId = await exportSnapshot(tx);
  // This connection: the prebuilds, then the claim windows (read whether or not a preset has a
  // policy: one index range scan of the last 120 minutes). The other: counts, presets and the
  // forecasts' inputs. About as long as each other at 100k workspaces (bench/).
  const prebuildsRead = readPrebuilds(tx, now, options);
  const windowsRead = prebuildsRead.then(() => readDemandWindows(tx, now));
  const [side, prebuilds] = await Promise.all([
    withTransaction(parallel, { isolation: 'repeatable read', readOnly: true }, async (other) => {
      await importSnapshot(other, snapshotId);
      const counts = await readCounts(other, now, options);
      const presets = await readPresets(other, true, referencedPresetIds(counts));
      // Every preset with a policy is an active one, so it is among these.
      const inputs = await autoscaling.load(other, presets, now, windowsRead);
      return { counts, presets, inputs };
    }),
    prebuildsRead,
    windowsRead,
  ]);
  // Presets of old versions that only the prebuilds refer to: at most one more, small query.
  const known = new Set(side.presets.map((preset) => preset.id));
  const missing = [...referencedPresetIds(prebuilds)].filter((id) => !known.has(id));
  const more = missing.length > 0 ? await readPresets(tx, false, missing) : [];
  return {
    presets: [...side.presets, ...more].sort(presetOrder),
    ...prebuilds,
    ...side.counts,
    autoscaling: side.inputs,
  };
}

const SnapshotId = z.object({ id: z.string() });
// What PostgreSQL returns, e.g. 00000003-0000001B-1; checked because it is spliced below.
const SNAPSHOT_ID = /^[0-9A-F]+(-[0-9A-F]+){1,2}$/;

async function exportSnapshot(tx: Db): Promise<string> {
  return tx.oneFirst(sql.type(SnapshotId)`SELECT pg_export_snapshot() AS id`);
}

/** SET TRANSACTION SNAPSHOT takes no parameters: the id is a literal, checked above. */
async function importSnapshot(tx: Db, id: string): Promise<void> {
  if (!SNAPSHOT_ID.test(id)) throw new Error(`unexpected snapshot id ${JSON.stringify(id)}`);
  await tx.query(sql.unsafe`SET TRANSACTION SNAPSHOT ${sql.literalValue(id)}`);
}
