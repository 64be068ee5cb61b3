-- name: RecordClaimAttempt
-- One claim attempt on a preset that keeps prebuilds, in the transaction of the claim (`hit`) or
-- of the normal build that ran instead (`miss`): both commit or neither does.
INSERT INTO prebuild_claim_attempts (template_id, preset_name, preset_id, at, outcome)
VALUES (:template_id::uuid, :preset_name::text, :preset_id::uuid, :at::timestamptz,
        :outcome::text);

-- name: PruneClaimAttempts
-- Retention: deletes at most :max_rows attempts older than :before, oldest first (index on at),
-- so one call is a short transaction however much history has piled up. Returns the count.
WITH doomed AS (
  SELECT ctid
  FROM prebuild_claim_attempts
  WHERE at < :before::timestamptz
  ORDER BY at
  LIMIT :max_rows::int
),
deleted AS (
  DELETE FROM prebuild_claim_attempts a
  USING doomed
  WHERE a.ctid = doomed.ctid
  RETURNING 1
)
SELECT count(*)::int AS deleted FROM deleted;
