-- name: AcquireProvisionerJob
-- Takes the next pending job this daemon may run, in one statement. Tag rule (as Coder): the
-- daemon must hold every tag of the job; an untagged job ('{}') is taken only by an untagged
-- daemon. Order and filter match the partial index provisioner_jobs_pending: human-initiated jobs
-- before prebuild jobs, then oldest first. SKIP LOCKED lets concurrent daemons pass each other.
UPDATE provisioner_jobs
SET started_at = :now::timestamptz, updated_at = :now::timestamptz, worker_id = :worker_id::uuid
WHERE id = (
  SELECT candidate.id
  FROM provisioner_jobs candidate
  WHERE candidate.started_at IS NULL
    AND candidate.completed_at IS NULL
    AND candidate.canceled_at IS NULL
    AND candidate.provisioner = ANY (:provisioners::provisioner_type[])
    AND CASE
      WHEN candidate.tags = '{}'::jsonb THEN :tags::jsonb = '{}'::jsonb
      ELSE candidate.tags <@ :tags::jsonb
    END
  ORDER BY
    (candidate.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid),
    candidate.created_at
  FOR UPDATE SKIP LOCKED
  LIMIT 1
)
RETURNING
  id, created_at, updated_at, started_at, canceled_at, completed_at, error, error_code,
  organization_id, initiator_id, provisioner, type, input, tags, worker_id, job_status;
