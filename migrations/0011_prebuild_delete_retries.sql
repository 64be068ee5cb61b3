-- Prebuilds whose delete failed PREBUILD_CONTROLLER_PREBUILD_DELETE_RETRY_LIMIT times in a row:
-- the reconciler stopped retrying and notified once. The row is what makes it once (inserted with
-- the notification, in one transaction, ON CONFLICT DO NOTHING); whether to retry is decided from
-- the count of failed deletes, so raising the limit retries again (without a second message).
CREATE TABLE prebuild_delete_abandonments (
  workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
  failed_deletes integer NOT NULL CHECK (failed_deletes > 0),
  abandoned_at timestamptz NOT NULL
);
