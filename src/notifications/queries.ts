import { z } from 'zod';

import { defineQuery } from '../db/sql-files.js';

const Inserted = z.object({ id: z.string(), notified: z.boolean() });

export const enqueueNotificationQuery = defineQuery<
  {
    template: string;
    user_id: string | null;
    method: string;
    payload: Record<string, unknown>;
    targets: readonly string[];
    created_by: string;
    now: Date;
    channel: string;
  },
  typeof Inserted
>('EnqueueNotification', Inserted);

export const LeasedMessage = z.object({
  id: z.string(),
  template: z.string(),
  user_id: z.string().nullable(),
  method: z.string(),
  payload: z.record(z.unknown()),
  targets: z.array(z.string()),
  created_by: z.string(),
  created_at: z.date(),
  attempts: z.number(),
  username: z.string().nullable(),
  email: z.string().nullable(),
});
export type LeasedMessage = z.infer<typeof LeasedMessage>;

export const leaseMessages = defineQuery<
  { worker: string; now: Date; lease_ms: number; limit: number },
  typeof LeasedMessage
>('LeaseNotificationMessages', LeasedMessage);

const IdRow = z.object({ id: z.string() });

export const markSent = defineQuery<{ id: string; worker: string; now: Date }, typeof IdRow>(
  'MarkNotificationSent',
  IdRow,
);

export const markFailed = defineQuery<
  {
    id: string;
    worker: string;
    now: Date;
    status: 'temporary_failure' | 'permanent_failure';
    reason: string;
    retry_at: Date;
  },
  typeof IdRow
>('MarkNotificationFailed', IdRow);

export const deleteOldMessages = defineQuery<{ before: Date }, z.ZodTypeAny>(
  'DeleteOldNotificationMessages',
  z.object({}),
);

export const NotificationMessage = z.object({
  id: z.string(),
  template: z.string(),
  user_id: z.string().nullable(),
  method: z.string(),
  status: z.string(),
  status_reason: z.string().nullable(),
  payload: z.record(z.unknown()),
  targets: z.array(z.string()),
  created_by: z.string(),
  created_at: z.date(),
  send_after: z.date(),
  leased_until: z.date().nullable(),
  leased_by: z.string().nullable(),
  attempts: z.number(),
  sent_at: z.date().nullable(),
});
export type NotificationMessage = z.infer<typeof NotificationMessage>;

export const messageById = defineQuery<{ id: string }, typeof NotificationMessage>(
  'NotificationMessageById',
  NotificationMessage,
);

const Undelivered = z.object({ status: z.string(), messages: z.number() });
export const countUndelivered = defineQuery<Record<string, never>, typeof Undelivered>(
  'CountUndeliveredNotifications',
  Undelivered,
);
