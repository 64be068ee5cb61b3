import { z } from 'zod';

import { defineQuery, type Db } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import type { FailedDelete } from '../domain/prebuilds/classify.js';
import type { PresetRow } from '../domain/prebuilds/types.js';
import { enqueueNotification } from '../notifications/enqueue.js';
import { listTemplateAdmins } from './action-queries.js';

const recordDeleteGivenUp = defineQuery<
  { workspace_id: string; failed_deletes: number; now: Date },
  z.ZodObject<{ workspace_id: z.ZodString }>
>('RecordDeleteGivenUp', z.object({ workspace_id: z.string() }));

export interface GivenUp {
  /** False: already recorded (notified before), or the prebuild changed since the snapshot. */
  readonly recorded: boolean;
  readonly notified: number;
}

/**
 * Records that the reconciler stopped retrying a prebuild's delete and, in the same transaction,
 * enqueues ONE `prebuild_delete_given_up` notification per template admin (or one to the
 * operators' channel when there is none). The record makes it once: a later pass, or another
 * replica, finds it and sends nothing.
 */
export async function recordGivenUpDelete(
  db: Db,
  preset: PresetRow,
  failed: FailedDelete,
  now: Date,
): Promise<GivenUp> {
  return withTransaction(db, {}, async (tx) => {
    const row = await recordDeleteGivenUp.maybeOne(tx, {
      workspace_id: failed.prebuild.id,
      failed_deletes: failed.failures,
      now,
    });
    if (!row) return { recorded: false, notified: 0 };
    const admins = await listTemplateAdmins.any(tx, {});
    const recipients: (string | null)[] = admins.length > 0 ? admins.map((a) => a.id) : [null];
    let notified = 0;
    for (const userId of recipients) {
      const result = await enqueueNotification(tx, {
        template: 'prebuild_delete_given_up',
        userId,
        payload: {
          template: preset.templateName,
          preset: preset.name,
          workspace_id: failed.prebuild.id,
          workspace: failed.prebuild.name,
          failed_deletes: failed.failures,
        },
        targets: [failed.prebuild.id, preset.id, preset.templateId, preset.organizationId],
        createdBy: 'prebuilds_reconciler',
        now,
      });
      if (!result.duplicate) notified += 1;
    }
    return { recorded: true, notified };
  });
}
