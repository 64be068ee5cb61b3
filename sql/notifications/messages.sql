-- Notification outbox (migration 0006): enqueued with a dedupe hash, delivered by leased
-- dispatchers, at least once.

-- name: EnqueueNotification
-- The trigger computes dedupe_hash (template, user, method, payload, targets, UTC day of
-- created_at): a duplicate inserts nothing and returns no row. The NOTIFY wakes dispatchers at
-- commit, only when a row was inserted.
WITH inserted AS (
  INSERT INTO notification_messages (
    template, user_id, method, payload, targets, created_by, created_at, updated_at, send_after
  )
  VALUES (
    :template::text,
    :user_id::uuid,
    :method::text,
    :payload::jsonb,
    :targets::uuid[],
    :created_by::text,
    :now::timestamptz,
    :now::timestamptz,
    :now::timestamptz
  )
  ON CONFLICT (dedupe_hash) DO NOTHING
  RETURNING id
)
SELECT inserted.id, pg_notify(:channel::text, '') IS NOT NULL AS notified
FROM inserted;

-- name: LeaseNotificationMessages
-- A dispatcher takes up to :limit due messages: never sent and due, failed earlier and due for a
-- retry, or leased by a dispatcher whose lease ran out (it died or hung). SKIP LOCKED: two
-- dispatchers never lease the same message; the lease keeps others off it until it expires.
UPDATE notification_messages m
SET status = 'leased',
  leased_by = :worker::text,
  leased_until = :now::timestamptz + interval '1 millisecond' * :lease_ms::bigint,
  attempts = m.attempts + 1,
  updated_at = :now::timestamptz
FROM (
  SELECT c.id
  FROM notification_messages c
  WHERE (c.status IN ('pending', 'temporary_failure') AND c.send_after <= :now::timestamptz)
    OR (c.status = 'leased' AND c.leased_until < :now::timestamptz)
  ORDER BY c.send_after
  LIMIT :limit::int
  FOR UPDATE SKIP LOCKED
) due
WHERE m.id = due.id
RETURNING m.id, m.template, m.user_id, m.method, m.payload, m.targets::text[] AS targets,
  m.created_by, m.created_at, m.attempts,
  (SELECT r.username FROM users r WHERE r.id = m.user_id) AS username,
  (SELECT r.email FROM users r WHERE r.id = m.user_id) AS email;

-- name: MarkNotificationSent
-- Only while we still hold the lease: a dispatcher whose lease expired must not overwrite the
-- outcome of the one that took over.
UPDATE notification_messages
SET status = 'sent',
  sent_at = :now::timestamptz,
  leased_until = NULL,
  status_reason = NULL,
  updated_at = :now::timestamptz
WHERE id = :id::uuid AND status = 'leased' AND leased_by = :worker::text
RETURNING id;

-- name: MarkNotificationFailed
-- temporary_failure is retried at :retry_at; permanent_failure never again.
UPDATE notification_messages
SET status = :status::notification_message_status,
  status_reason = left(:reason::text, 2000),
  send_after = :retry_at::timestamptz,
  leased_until = NULL,
  updated_at = :now::timestamptz
WHERE id = :id::uuid AND status = 'leased' AND leased_by = :worker::text
RETURNING id;

-- name: DeleteOldNotificationMessages
-- Retention: finished messages older than :before (dedupe only needs the current UTC day).
DELETE FROM notification_messages
WHERE created_at < :before::timestamptz
  AND status IN ('sent', 'permanent_failure', 'inhibited');

-- name: NotificationMessageById
SELECT id, template, user_id, method, status::text AS status, status_reason, payload,
  targets::text[] AS targets, created_by, created_at, send_after, leased_until, leased_by,
  attempts, sent_at
FROM notification_messages
WHERE id = :id::uuid;

-- name: CountUndeliveredNotifications
-- /metrics: messages waiting for a delivery attempt (new, or failed and due for a retry), from
-- the dispatchers' partial index. Leased messages are being delivered and are not counted.
SELECT status::text AS status, count(*)::int AS messages
FROM notification_messages
WHERE status IN ('pending', 'temporary_failure')
GROUP BY status;
