import type { Db } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import type { PresetRow } from '../domain/prebuilds/types.js';
import type { StatusChange } from '../domain/prebuilds/report.js';
import { enqueueNotification } from '../notifications/enqueue.js';
import {
  listTemplateAdmins,
  setPresetPrebuildStatus,
  type StatusChanged,
} from './action-queries.js';

export interface AppliedStatusChange {
  /** false: the preset changed since the snapshot (reset, other replica); nothing written. */
  readonly applied: boolean;
  /** Notification messages enqueued (new, not deduplicated). */
  readonly notified: number;
}

/**
 * Writes a decided prebuild status transition and, when the preset becomes hard-limited, enqueues
 * ONE `prebuild_preset_hard_limited` notification per template admin (users with the
 * template-admin role), or one to the operators' channel (user_id NULL) when there is no template
 * admin, so the event is never dropped for lack of a recipient. Status and messages commit
 * together; the conditional UPDATE makes the transition happen once however many replicas race,
 * and the outbox's dedupe keeps it to one message per admin and preset per UTC day.
 */
export async function applyStatusChange(
  db: Db,
  preset: PresetRow,
  change: StatusChange,
  failedBuilds: number,
  now: Date,
): Promise<AppliedStatusChange> {
  return withTransaction(db, {}, async (tx) => {
    const row = await setPresetPrebuildStatus.maybeOne(tx, {
      preset_id: preset.id,
      status: change.to,
      expected: change.from,
      seen_reset_at: preset.failureLimitResetAt,
      now,
    });
    if (!row) return { applied: false, notified: 0 };
    const notified =
      change.to === 'hard_limited' ? await notifyHardLimited(tx, row, failedBuilds, now) : 0;
    return { applied: true, notified };
  });
}

async function notifyHardLimited(
  tx: Db,
  preset: StatusChanged,
  failedBuilds: number,
  now: Date,
): Promise<number> {
  const admins = await listTemplateAdmins.any(tx, {});
  const recipients: (string | null)[] = admins.length > 0 ? admins.map((a) => a.id) : [null];
  let enqueued = 0;
  for (const userId of recipients) {
    const result = await enqueueNotification(tx, {
      template: 'prebuild_preset_hard_limited',
      userId,
      payload: {
        template: preset.template_name,
        preset: preset.name,
        organization: preset.organization_name,
        template_version: preset.template_version_name,
        failed_builds: failedBuilds,
      },
      targets: [preset.id, preset.template_id, preset.organization_id],
      createdBy: 'prebuilds_reconciler',
      now,
    });
    if (!result.duplicate) enqueued += 1;
  }
  return enqueued;
}
