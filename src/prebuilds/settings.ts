import { z } from 'zod';

import { CHANNELS } from '../db/channels.js';
import type { Db } from '../db/sql-files.js';
import { readSetting, writeSetting } from '../db/settings.js';
import { withTransaction } from '../db/tx.js';
import { notify } from '../jobs/notify.js';

/** The settings row Coder calls prebuilds_settings: `{"reconciliation_paused": bool}`. */
export const PREBUILDS_SETTING = 'prebuilds';

const PrebuildsSetting = z
  .object({
    reconciliation_paused: z.boolean(),
    // Who paused or resumed last, and when (absent before the record existed).
    changed_by: z.string().optional(),
    changed_at: z.string().optional(),
  })
  .passthrough();

export async function isReconciliationPaused(db: Db): Promise<boolean> {
  return (await readReconciliationPause(db)).paused;
}

/** Whether reconciliation is paused, and who paused or resumed it last (null = not recorded). */
export interface PauseState {
  readonly paused: boolean;
  readonly changed_by: string | null;
  readonly changed_at: Date | null;
}

export async function readReconciliationPause(db: Db): Promise<PauseState> {
  const value = await readSetting(db, PREBUILDS_SETTING, PrebuildsSetting, {
    reconciliation_paused: false,
  });
  return {
    paused: value.reconciliation_paused,
    changed_by: value.changed_by ?? null,
    changed_at: value.changed_at ? new Date(value.changed_at) : null,
  };
}

/**
 * Pauses or resumes reconciliation for every replica and wakes them (at commit) so the change
 * takes effect at once: a paused pass records the gauge and does nothing else.
 */
export async function setReconciliationPaused(
  db: Db,
  paused: boolean,
  now: Date,
  changedBy: string,
): Promise<boolean> {
  return withTransaction(db, {}, async (tx) => {
    const current = await readSetting(tx, PREBUILDS_SETTING, PrebuildsSetting, {
      reconciliation_paused: false,
    });
    await writeSetting(
      tx,
      PREBUILDS_SETTING,
      {
        ...current,
        reconciliation_paused: paused,
        changed_by: changedBy,
        changed_at: now.toISOString(),
      },
      now,
    );
    await notify(tx, CHANNELS.reconcile, [{ reason: paused ? 'paused' : 'resumed' }]);
    return paused;
  });
}

/**
 * A counter the reconciler bumps after every pass that wrote something, before it releases its
 * lock. The next lock holder compares the value its snapshot sees with the committed one: if they
 * differ, its snapshot was taken in the instant before the previous holder let go (the lock
 * statement takes the snapshot before it takes the lock) and misses that pass's builds, so it
 * retries with a fresh snapshot instead of creating them a second time.
 */
export const GENERATION_SETTING = 'prebuilds_reconcile_generation';
const Generation = z.object({ generation: z.number().int().nonnegative() });

export async function readReconcileGeneration(db: Db): Promise<number> {
  return (await readSetting(db, GENERATION_SETTING, Generation, { generation: 0 })).generation;
}

export async function writeReconcileGeneration(
  db: Db,
  generation: number,
  now: Date,
): Promise<void> {
  await writeSetting(db, GENERATION_SETTING, { generation }, now);
}
