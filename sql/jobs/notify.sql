-- name: JobsNotify
-- Sends one NOTIFY per payload. Inside a transaction the notifications go out at COMMIT (and not
-- at all on rollback), so listeners never wake for rows they cannot see yet.
SELECT count(*)::int AS sent
FROM (
  SELECT pg_notify(:channel::text, p.payload)
  FROM unnest(:payloads::text[]) AS p (payload)
) notified;
