import { z } from 'zod';

import type { Db } from '../db/sql-files.js';
import { readSetting, writeSetting } from '../db/settings.js';
import { DEFAULT_PREBUILD_OPTIONS, type PrebuildOptions } from '../domain/prebuilds/options.js';

/**
 * The running controller's effective decision settings (backoff, hard limit, cleanup grace,
 * delete retry limit), so
 * that `prebuilds status` and `plan` run from a shell decide as the controller does instead of
 * with the CLI's own defaults. Written by every replica at start (the last one wins).
 */
export const DECISION_SETTING = 'prebuilds_decision_settings';

const Recorded = z.object({
  options: z.object({
    backoffBaseMs: z.number().int().positive(),
    backoffCapMs: z.number().int().nonnegative(),
    backoffLookbackMs: z.number().int().nonnegative(),
    failureHardLimit: z.number().int().nonnegative(),
    cleanupGraceMs: z.number().int().nonnegative(),
    // Absent when a controller from before the setting recorded them: its default.
    deleteRetryLimit: z.number().int().nonnegative().optional(),
  }),
  recorded_at: z.string(),
});

export interface RecordedDecisionSettings {
  readonly options: PrebuildOptions;
  readonly recordedAt: string;
}

export async function recordDecisionSettings(
  db: Db,
  options: PrebuildOptions,
  now: Date,
): Promise<void> {
  await writeSetting(db, DECISION_SETTING, { options, recorded_at: now.toISOString() }, now);
}

export async function readDecisionSettings(db: Db): Promise<RecordedDecisionSettings | null> {
  const value = await readSetting(db, DECISION_SETTING, Recorded.nullable(), null);
  if (!value) return null;
  const deleteRetryLimit =
    value.options.deleteRetryLimit ?? DEFAULT_PREBUILD_OPTIONS.deleteRetryLimit;
  return { options: { ...value.options, deleteRetryLimit }, recordedAt: value.recorded_at };
}
