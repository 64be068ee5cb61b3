import { CHANNELS } from '../db/channels.js';
import type { Db } from '../db/sql-files.js';
import { enqueueNotificationQuery } from './queries.js';
import { type TemplateName, type TemplatePayload, validatePayload } from './templates.js';

export interface EnqueueRequest<T extends TemplateName> {
  readonly template: T;
  /** Recipient; null = the operators' channel (template admins). */
  readonly userId: string | null;
  readonly payload: TemplatePayload<T>;
  /** Ids the message is about (workspace, owner, template, organization...). */
  readonly targets?: readonly string[];
  /** Which part of the controller sent it, e.g. "lifecycle_executor". */
  readonly createdBy: string;
  readonly now: Date;
}

export interface EnqueueResult {
  /** The new message, or null for a duplicate. */
  readonly id: string | null;
  /** The same message (template, user, payload, targets) was already enqueued this UTC day. */
  readonly duplicate: boolean;
}

/**
 * Adds a message to the outbox (inside the caller's transaction when `db` is one: it is then sent
 * only if that commits) and wakes the dispatchers at commit. A duplicate the same UTC day is a
 * no-op reported as `duplicate`, not an error. Throws NotificationPayloadError for a payload that
 * does not fit its template.
 */
export async function enqueueNotification<T extends TemplateName>(
  db: Db,
  request: EnqueueRequest<T>,
): Promise<EnqueueResult> {
  const payload = validatePayload(request.template, request.payload);
  const row = await enqueueNotificationQuery.maybeOne(db, {
    template: request.template,
    user_id: request.userId,
    method: 'webhook',
    payload,
    targets: request.targets ?? [],
    created_by: request.createdBy,
    now: request.now,
    channel: CHANNELS.notification,
  });
  return row ? { id: row.id, duplicate: false } : { id: null, duplicate: true };
}
