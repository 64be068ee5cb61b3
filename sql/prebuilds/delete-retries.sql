-- name: RecordDeleteGivenUp
-- The reconciler stops retrying a prebuild's delete (PREBUILD_CONTROLLER_PREBUILD_DELETE_RETRY_LIMIT
-- consecutive failures). Inserted in the transaction that enqueues the notification: a row comes
-- back only the first time, so the notification is sent once however many passes or replicas
-- see it. Only while the prebuild still exists and its latest build is still a failed delete.
INSERT INTO prebuild_delete_abandonments (workspace_id, failed_deletes, abandoned_at)
SELECT w.id, :failed_deletes::int, :now::timestamptz
FROM workspaces w
WHERE w.id = :workspace_id::uuid
  AND NOT w.deleted
  AND w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  AND EXISTS (
    SELECT 1
    FROM workspace_builds b
    JOIN provisioner_jobs j ON j.id = b.job_id
    WHERE b.workspace_id = w.id
      AND b.build_number = (
        SELECT max(x.build_number) FROM workspace_builds x WHERE x.workspace_id = w.id
      )
      AND b.transition = 'delete'
      AND j.job_status = 'failed'
  )
ON CONFLICT (workspace_id) DO NOTHING
RETURNING workspace_id;
