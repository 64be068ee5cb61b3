-- Notification outbox: enqueued in the transaction that decides, delivered by leased dispatchers.

CREATE TYPE notification_message_status AS ENUM (
  'pending', 'leased', 'sent', 'permanent_failure', 'temporary_failure', 'inhibited'
);

CREATE TABLE notification_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Template name, e.g. 'autostop_reminder', 'prebuild_preset_hard_limited'.
  template text NOT NULL,
  -- Recipient; NULL = the operators' channel (template admins).
  user_id uuid REFERENCES users (id),
  method text NOT NULL DEFAULT 'webhook',
  status notification_message_status NOT NULL DEFAULT 'pending',
  status_reason text,
  payload jsonb NOT NULL DEFAULT '{}',
  targets uuid[] NOT NULL DEFAULT '{}',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Not before this instant (first delivery and retries).
  send_after timestamptz NOT NULL DEFAULT now(),
  leased_until timestamptz,
  leased_by text,
  attempts integer NOT NULL DEFAULT 0,
  sent_at timestamptz,
  dedupe_hash text NOT NULL
);

-- The same message to the same user on the same UTC day is enqueued once.
CREATE FUNCTION compute_notification_message_dedupe_hash() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.dedupe_hash := md5(concat_ws(':',
    NEW.template,
    COALESCE(NEW.user_id::text, ''),
    NEW.method,
    NEW.payload::text,
    array_to_string(NEW.targets, ','),
    date_trunc('day', NEW.created_at AT TIME ZONE 'UTC')::text));
  RETURN NEW;
END;
$$;

CREATE TRIGGER notification_messages_dedupe_hash
BEFORE INSERT ON notification_messages
FOR EACH ROW EXECUTE FUNCTION compute_notification_message_dedupe_hash();

CREATE UNIQUE INDEX notification_messages_dedupe_hash_idx ON notification_messages (dedupe_hash);

-- Dispatchers: deliverable messages by due time.
CREATE INDEX notification_messages_deliverable ON notification_messages (send_after)
WHERE status IN ('pending', 'temporary_failure');
