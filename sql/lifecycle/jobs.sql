-- Lifecycle jobs (seed 002): the scheduler writes what is due, executors run it. At most one open
-- (not completed, not cancelled) job per workspace, enforced by workspace_lifecycle_job_open.

-- name: InsertLifecycleJobs
-- The scheduler's decisions of one tick, in one statement. A workspace that already has an open
-- job keeps it (cancel stale ones first with CancelStaleLifecycleJobs).
-- Re-check against the state the decision was made from (the candidate read is an earlier
-- statement, and another replica's executor may have acted since): a decision is dropped when
-- the workspace's latest build is no longer :build_ids, or when the job that was open then
-- (:open_job_ids, NULL for none) has been completed meanwhile. FOR SHARE waits for an executor
-- completing it right now and re-reads the row; once locked, the completion waits for this
-- transaction, whose insert then conflicts with the still-open job. The next tick decides again
-- from the new state. One decision, one job, however many replicas schedule.
INSERT INTO workspace_lifecycle_job (
  workspace_id, operation, reason, deadline, created_at, updated_at
)
SELECT d.workspace_id, d.operation, d.reason, d.deadline, :now::timestamptz, :now::timestamptz
FROM unnest(
  :workspace_ids::uuid[],
  :operations::workspace_lifecycle_operation[],
  :reasons::build_reason[],
  :deadlines::timestamptz[],
  :build_ids::uuid[],
  :open_job_ids::uuid[]
) AS d (workspace_id, operation, reason, deadline, build_id, open_job_id)
WHERE d.build_id = (
    SELECT wb.id
    FROM workspace_builds wb
    WHERE wb.workspace_id = d.workspace_id
    ORDER BY wb.build_number DESC
    LIMIT 1
  )
  AND (
    d.open_job_id IS NULL
    OR EXISTS (
      SELECT 1
      FROM workspace_lifecycle_job o
      WHERE o.id = d.open_job_id AND o.completed_at IS NULL
      FOR SHARE
    )
  )
ON CONFLICT (workspace_id) WHERE completed_at IS NULL AND cancelled_at IS NULL DO NOTHING
RETURNING id, workspace_id, operation::text AS operation, reason::text AS reason, deadline;

-- name: CancelStaleLifecycleJobs
-- Pending jobs whose reason disappeared (schedule removed, workspace started by hand, deadline
-- extended, ...): every pending job not in the tick's decisions (workspace, operation, reason).
-- Started jobs are left to their executor, which re-checks before acting.
UPDATE workspace_lifecycle_job j
SET cancelled_at = :now::timestamptz,
  updated_at = :now::timestamptz,
  outcome = 'canceled: no longer due'
WHERE j.started_at IS NULL
  AND j.completed_at IS NULL
  AND j.cancelled_at IS NULL
  AND NOT EXISTS (
    SELECT 1
    FROM unnest(
      :workspace_ids::uuid[],
      :operations::workspace_lifecycle_operation[],
      :reasons::build_reason[]
    ) AS k (workspace_id, operation, reason)
    WHERE k.workspace_id = j.workspace_id
      AND k.operation = j.operation
      AND k.reason = j.reason
  )
RETURNING j.id, j.workspace_id, j.operation::text AS operation, j.reason::text AS reason;

-- name: AcquireLifecycleJobs
-- Executors: take up to :limit due jobs, oldest deadline first, and mark them started in the same
-- statement. SKIP LOCKED: two executors never take the same job.
UPDATE workspace_lifecycle_job j
SET started_at = :now::timestamptz, updated_at = :now::timestamptz
WHERE j.id IN (
  SELECT p.id
  FROM workspace_lifecycle_job p
  WHERE p.started_at IS NULL
    AND p.completed_at IS NULL
    AND p.cancelled_at IS NULL
    AND p.deadline <= :now::timestamptz
  ORDER BY p.deadline
  LIMIT :limit::int
  FOR UPDATE SKIP LOCKED
)
RETURNING j.id, j.workspace_id, j.operation::text AS operation, j.reason::text AS reason,
  j.deadline, j.created_at, j.started_at;

-- name: CompleteLifecycleJob
-- Done: the build it created (NULL when it skipped) and what happened.
UPDATE workspace_lifecycle_job
SET completed_at = :now::timestamptz,
  updated_at = :now::timestamptz,
  build_id = :build_id::uuid,
  outcome = :outcome::text
WHERE id = :id::uuid AND completed_at IS NULL AND cancelled_at IS NULL
RETURNING id;

-- name: FailLifecycleJob
-- Failed: the error is kept on the job; the slot reopens so a later tick decides again.
UPDATE workspace_lifecycle_job
SET completed_at = :now::timestamptz,
  updated_at = :now::timestamptz,
  error = :error::text,
  outcome = 'error'
WHERE id = :id::uuid AND completed_at IS NULL AND cancelled_at IS NULL
RETURNING id;

-- name: FailAbandonedLifecycleJobs
-- Started jobs whose executor died (started before :started_before and never finished) would hold
-- their workspace's open-job slot forever: fail them.
UPDATE workspace_lifecycle_job
SET completed_at = :now::timestamptz,
  updated_at = :now::timestamptz,
  error = 'abandoned: the executor stopped before finishing the job',
  outcome = 'error'
WHERE started_at IS NOT NULL
  AND completed_at IS NULL
  AND cancelled_at IS NULL
  AND started_at < :started_before::timestamptz
RETURNING id, workspace_id;

-- name: InsertLifecycleJobLog
-- A job's lines read back in the order written even when the clock repeats a value (the
-- scheduler and the executor may stamp the same instant): never before the job's last line.
INSERT INTO workspace_lifecycle_job_logs (job_id, created_at, level, output)
SELECT :job_id::uuid,
  GREATEST(
    :now::timestamptz,
    (SELECT max(x.created_at) FROM workspace_lifecycle_job_logs x WHERE x.job_id = :job_id::uuid)
      + interval '1 microsecond'
  ),
  :level::log_level, left(:output::text, 1024)
RETURNING id;

-- name: InsertLifecycleJobLogs
-- Several lines at once (a tick's cancellations), each truncated to the column's 1024 characters.
-- Lines of one batch are a microsecond apart so they read back in the order given, and never
-- before a job's earlier lines (see InsertLifecycleJobLog).
INSERT INTO workspace_lifecycle_job_logs (job_id, created_at, level, output)
SELECT l.job_id,
  GREATEST(
    :now::timestamptz,
    (SELECT max(x.created_at) FROM workspace_lifecycle_job_logs x WHERE x.job_id = l.job_id)
      + interval '1 microsecond'
  ) + (l.n - 1) * interval '1 microsecond',
  l.level, left(l.output, 1024)
FROM unnest(:job_ids::uuid[], :levels::log_level[], :outputs::text[])
  WITH ORDINALITY AS l (job_id, level, output, n);

-- name: LifecycleJobLogs
SELECT id, job_id, created_at, level::text AS level, output::text AS output
FROM workspace_lifecycle_job_logs
WHERE job_id = :job_id::uuid
ORDER BY created_at, id;

-- name: LifecycleJobById
SELECT id, workspace_id, operation::text AS operation, reason::text AS reason, deadline,
  created_at, updated_at, started_at, cancelled_at, completed_at, error, build_id, outcome
FROM workspace_lifecycle_job
WHERE id = :id::uuid;

-- name: DeleteOldLifecycleJobs
-- Retention: finished lifecycle jobs (completed or cancelled before :before) and, by cascade,
-- their logs; at most :max_rows per call so a large backlog is trimmed over several ticks.
DELETE FROM workspace_lifecycle_job
WHERE id IN (
  SELECT id
  FROM workspace_lifecycle_job
  WHERE completed_at < :before::timestamptz OR cancelled_at < :before::timestamptz
  LIMIT :max_rows::int
)
RETURNING id;
