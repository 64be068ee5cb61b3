-- Autostop reminders (seed 001): the marker `notified_autostop_deadline` equal to the build's stop
-- instant (deadline, else max_deadline) means "reminder sent for this deadline".

-- name: StampAutostopReminder
-- In the deciding transaction: claim the reminder for this stop instant. No row = the deadline
-- moved or someone else stamped it first; then nothing is sent.
UPDATE workspace_builds
SET notified_autostop_deadline = :autostop_at::timestamptz, updated_at = :now::timestamptz
WHERE id = :build_id::uuid
  AND COALESCE(deadline, max_deadline) = :autostop_at::timestamptz
  AND notified_autostop_deadline IS DISTINCT FROM :autostop_at::timestamptz
RETURNING id;

-- name: RearmAutostopReminder
-- After a failed enqueue: clear the marker again (only if it still holds our value) so a later tick
-- retries; otherwise the committed marker would suppress this deadline's only reminder forever.
UPDATE workspace_builds
SET notified_autostop_deadline = NULL, updated_at = :now::timestamptz
WHERE id = :build_id::uuid
  AND notified_autostop_deadline = :autostop_at::timestamptz
RETURNING id;
