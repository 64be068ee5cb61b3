import { z } from 'zod';

import { type Db, defineQuery } from '../db/sql-files.js';

export type ClaimOutcome = 'hit' | 'miss';

const recordQuery = defineQuery<{
  template_id: string;
  preset_name: string;
  preset_id: string;
  at: Date;
  outcome: ClaimOutcome;
}>('RecordClaimAttempt', z.object({}));

const Pruned = z.object({ deleted: z.number() });
const pruneQuery = defineQuery<{ before: Date; max_rows: number }, typeof Pruned>(
  'PruneClaimAttempts',
  Pruned,
);

export interface ClaimAttempt {
  readonly templateId: string;
  readonly presetName: string;
  readonly presetId: string;
  readonly at: Date;
  readonly outcome: ClaimOutcome;
}

/**
 * Records one claim attempt on a preset that keeps prebuilds. Call it inside the transaction of
 * the claim (hit) or of the normal build that ran instead (miss): the attempt is recorded exactly
 * when that commits.
 */
export async function recordClaimAttempt(tx: Db, attempt: ClaimAttempt): Promise<void> {
  await recordQuery.exec(tx, {
    template_id: attempt.templateId,
    preset_name: attempt.presetName,
    preset_id: attempt.presetId,
    at: attempt.at,
    outcome: attempt.outcome,
  });
}

/** Deletes at most `maxRows` attempts recorded before `before`, oldest first; returns how many. */
export async function pruneClaimAttempts(db: Db, before: Date, maxRows: number): Promise<number> {
  return (await pruneQuery.one(db, { before, max_rows: maxRows })).deleted;
}
