-- name: EnqueueClaimBuild
-- Everything a claim does after ClaimPrebuiltWorkspace, in the claim's transaction and in one
-- statement: records the attempt (a hit), inserts the claim build (a start, reason `claim`, build
-- number latest + 1) with its provisioner job and parameters, sends the job-posted and reconcile
-- NOTIFYs (delivered at commit), and returns the claimed workspace as the workspace view shows it
-- (sql/workspaces/view.sql) with the new build as its latest, plus the job and build rows.
--
-- It writes the same rows as enqueueWorkspaceBuild (src/jobs/enqueue.ts) would for the claimed
-- workspace. The caller passes what the request resolved (version, preset, template, the job's
-- input without its workspace-dependent fields); the statement checks those assumptions against
-- the workspace as the claim left it: not deleted, of :template_id, latest build on :version_id
-- and not in progress, :preset_id a preset of :version_id. When one does not hold, only the
-- attempt is recorded and no row comes back: the caller then enqueues the general way, which
-- builds what it finds or fails saying why. Template versions never change.
--
-- Parameters, lowest layer first: the previous build's, the preset's, then :parameters.
WITH attempt AS (
  INSERT INTO prebuild_claim_attempts (template_id, preset_name, preset_id, at, outcome)
  VALUES (:template_id::uuid, :preset_name::text, :preset_id::uuid, :now::timestamptz, 'hit')
),
target AS (
  SELECT
    w.id, w.name, w.owner_id, u.username AS owner, w.template_id, t.name AS template,
    w.organization_id, o.name AS organization, w.autostart_schedule, w.next_start_at,
    w.ttl AS ttl_ms, w.last_used_at, w.dormant_at, w.deleting_at, w.deleted,
    w.automatic_updates::text, w.created_at,
    t.allow_user_autostart, t.allow_user_autostop, t.autostart_block_days_of_week,
    t.require_active_version, t.active_version_id,
    p.name AS preset_name,
    lb.build_number + 1 AS build_number,
    COALESCE((
      SELECT jsonb_object_agg(bp.name, bp.value)
      FROM workspace_build_parameters bp
      WHERE bp.workspace_build_id = lb.id
    ), '{}'::jsonb)
    || COALESCE((
      SELECT jsonb_object_agg(pp.name, pp.value)
      FROM template_version_preset_parameters pp
      WHERE pp.template_version_preset_id = p.id
    ), '{}'::jsonb)
    || :parameters::jsonb AS parameters
  FROM workspaces w
  JOIN users u ON u.id = w.owner_id
  JOIN templates t ON t.id = w.template_id
  JOIN organizations o ON o.id = w.organization_id
  JOIN LATERAL (
    SELECT b.id, b.build_number, b.template_version_id, b.job_id
    FROM workspace_builds b
    WHERE b.workspace_id = w.id
    ORDER BY b.build_number DESC
    LIMIT 1
  ) lb ON true
  JOIN provisioner_jobs lj ON lj.id = lb.job_id
  JOIN template_version_presets p
    ON p.id = :preset_id::uuid AND p.template_version_id = :version_id::uuid
  WHERE w.id = :workspace_id::uuid
    AND NOT w.deleted
    AND w.template_id = :template_id::uuid
    AND lb.template_version_id = :version_id::uuid
    AND lj.job_status NOT IN ('pending', 'running', 'canceling')
),
job AS (
  INSERT INTO provisioner_jobs (
    id, created_at, updated_at, organization_id, initiator_id, provisioner, type, input, tags
  )
  SELECT
    :job_id::uuid, :now::timestamptz, :now::timestamptz, target.organization_id,
    :initiator_id::uuid, :provisioner::provisioner_type, 'workspace_build',
    :input::jsonb || jsonb_build_object(
      'workspace_name', target.name,
      'owner_id', target.owner_id,
      'owner_name', target.owner,
      'build_number', target.build_number,
      'is_prebuild', target.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid,
      'template_name', target.template,
      'preset_name', target.preset_name,
      'parameters', target.parameters
    ),
    :tags::jsonb
  FROM target
  RETURNING
    id, created_at, updated_at, started_at, canceled_at, completed_at, error, error_code,
    organization_id, initiator_id, provisioner, type, input, tags, worker_id, job_status
),
build AS (
  INSERT INTO workspace_builds (
    id, created_at, updated_at, workspace_id, template_version_id, build_number, transition,
    initiator_id, job_id, reason, template_version_preset_id
  )
  SELECT
    :build_id::uuid, :now::timestamptz, :now::timestamptz, target.id,
    :version_id::uuid, target.build_number, 'start', :initiator_id::uuid, job.id, 'claim',
    :preset_id::uuid
  FROM target
  CROSS JOIN job
  RETURNING
    id, created_at, updated_at, workspace_id, template_version_id, build_number, transition,
    initiator_id, job_id, reason, template_version_preset_id, deadline, max_deadline
),
build_parameters AS (
  INSERT INTO workspace_build_parameters (workspace_build_id, name, value)
  SELECT build.id, p.key, p.value
  FROM build
  CROSS JOIN target
  CROSS JOIN jsonb_each_text(target.parameters) AS p
),
-- pg_notify is volatile: evaluated once (the count below), in this order, and only with a job.
notified AS (
  SELECT pg_notify(:job_channel::text, :job_payload::text) FROM job
  UNION ALL
  SELECT pg_notify(:reconcile_channel::text, :reconcile_payload::text) FROM job
)
SELECT
  target.id, target.name, target.owner_id, target.owner, target.template_id, target.template,
  target.organization_id, target.organization, target.autostart_schedule, target.next_start_at,
  target.ttl_ms, target.last_used_at, target.dormant_at, target.deleting_at, target.deleted,
  target.automatic_updates, target.created_at,
  target.allow_user_autostart, target.allow_user_autostop, target.autostart_block_days_of_week,
  target.require_active_version, target.active_version_id,
  build.id AS build_id, build.build_number, build.transition::text AS build_transition,
  build.reason::text AS build_reason, job.job_status::text AS build_status,
  build.job_id AS build_job_id, build.deadline AS build_deadline,
  build.max_deadline AS build_max_deadline, build.template_version_id AS build_template_version_id,
  build.template_version_preset_id AS build_preset_id, build.created_at AS build_created_at,
  to_jsonb(job) AS job_row,
  to_jsonb(build) AS build_row
FROM target
CROSS JOIN job
CROSS JOIN build
CROSS JOIN (SELECT count(*) FROM notified) AS sent;
