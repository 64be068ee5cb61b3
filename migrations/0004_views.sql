-- Views with Coder's names and columns, so Coder's prebuilds.sql runs unchanged against this schema.
--
-- Shapes matter (reference/seed-sql-at-scale.md):
-- * workspace_latest_builds exposes workspaces.id as workspace_id and has no ORDER BY, so a join on
--   workspace_id restricts it to the workspaces asked for instead of evaluating every workspace.
-- * workspace_prebuilds has only `workspaces` in its FROM list (everything else is a scalar
--   subquery), so `FOR UPDATE OF <view> SKIP LOCKED` locks the prebuild's workspaces row.
--   A view built from WITH queries would accept the locking clause and lock nothing.

CREATE VIEW workspace_latest_builds AS
SELECT
  b.id,
  w.id AS workspace_id,
  b.template_version_id,
  b.job_id,
  b.template_version_preset_id,
  b.transition,
  b.created_at,
  pj.job_status,
  b.build_number,
  b.initiator_id,
  b.reason,
  b.deadline,
  b.max_deadline,
  b.notified_autostop_deadline,
  b.updated_at,
  pj.started_at AS job_started_at,
  pj.completed_at AS job_completed_at,
  pj.canceled_at AS job_canceled_at,
  pj.error AS job_error
FROM workspaces w
CROSS JOIN LATERAL (
  SELECT wb.*
  FROM workspace_builds wb
  WHERE wb.workspace_id = w.id
  ORDER BY wb.build_number DESC
  LIMIT 1
) b
JOIN provisioner_jobs pj ON pj.id = b.job_id
WHERE NOT w.deleted;

CREATE VIEW workspace_prebuilds AS
SELECT
  w.id,
  w.name,
  w.template_id,
  w.created_at,
  -- Ready: the latest build is a succeeded start and it has agents, all of them ready.
  COALESCE((
    SELECT bool_and(a.lifecycle_state = 'ready')
    FROM workspace_agents a
    WHERE NOT a.deleted
      AND a.workspace_build_id = (
        SELECT lb.id
        FROM (
          SELECT b.id, b.transition, b.job_id
          FROM workspace_builds b
          WHERE b.workspace_id = w.id
          ORDER BY b.build_number DESC
          LIMIT 1
        ) lb
        JOIN provisioner_jobs lj ON lj.id = lb.job_id
        WHERE lb.transition = 'start' AND lj.job_status = 'succeeded'
      )
  ), false) AS ready,
  (
    SELECT pb.template_version_preset_id
    FROM workspace_builds pb
    WHERE pb.workspace_id = w.id AND pb.template_version_preset_id IS NOT NULL
    ORDER BY pb.build_number DESC
    LIMIT 1
  ) AS current_preset_id
FROM workspaces w
WHERE w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid AND NOT w.deleted;

CREATE VIEW workspace_prebuild_builds AS
SELECT
  id,
  workspace_id,
  template_version_id,
  transition,
  job_id,
  template_version_preset_id,
  build_number,
  reason,
  created_at
FROM workspace_builds
WHERE initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid;
