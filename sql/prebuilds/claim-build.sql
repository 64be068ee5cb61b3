-- name: ClaimPrebuiltWorkspaceWithBuild
-- A claim as the API makes it when the preset has prebuilds, in ONE statement that runs on its
-- own (autocommit): the claim (ClaimPrebuiltWorkspace's, on the same ClaimCandidate) moves a ready
-- prebuild to the new owner; in the same statement the attempt is recorded as a hit, the claim build (a
-- start, reason `claim`, build number latest + 1) is inserted with its provisioner job and
-- parameters, the job-posted and reconcile NOTIFYs are sent (delivered at commit), and the
-- claimed workspace comes back as the workspace view shows it (sql/workspaces/view.sql) with the
-- new build as its latest, plus the job and build rows. No row when there is no prebuild to
-- claim: nothing is written, and the caller takes the general path (a transaction that claims or
-- creates, and records the attempt).
--
-- One statement instead of a transaction (BEGIN, claim, build, COMMIT) because the claimed row
-- stays locked until commit, and 32 claimers of one pool skip every locked row: the two extra
-- round trips and the client's per-transaction work were what kept claims on one preset under
-- 0.8x of the bare statement (BENCHMARKS.md).
--
-- It writes the rows enqueueWorkspaceBuild (src/jobs/enqueue.ts) would for the claimed
-- workspace. The caller passes what the request resolved (template, version, preset, the job's
-- input without its workspace-dependent fields). The claim can only take a prebuild whose latest
-- build is a succeeded start of the preset's version, and that version must be active: so the
-- claimed workspace is of :template_id on :version_id (the version the preset was resolved on)
-- and no build of it is in progress. `target` checks it all again; should a check ever fail, the
-- statement fails as a whole (the guard at the end), so a claim is never committed without its
-- build.
--
-- Parameters, lowest layer first: the previous build's, the preset's, then :parameters.
-- The claim: ClaimPrebuiltWorkspace's UPDATE of the candidate it chooses (ClaimCandidate), which
-- also writes the build-state columns (migration 0012) as they will be once the claim build below
-- is inserted (its id, a pending start of :version_id for :preset_id, no agents, no deadline).
-- The insert's trigger (refresh_workspace_build_cache) still computes them and finds nothing to
-- change, so the row gets one new version instead of two (every index of workspaces written
-- once). Should they ever differ, the trigger writes what it computed.
WITH claimed AS (
  UPDATE workspaces w
  SET
    owner_id = :new_owner_id::uuid,
    name = :new_name::text,
    autostart_schedule = :autostart_schedule::text,
    next_start_at = :next_start_at::timestamptz,
    ttl = :ttl_ms::bigint,
    last_used_at = :now::timestamptz,
    dormant_at = NULL,
    deleting_at = NULL,
    updated_at = :now::timestamptz,
    autostop_at = NULL,
    failed_build_at = NULL,
    latest_build_id = :build_id::uuid,
    latest_build_transition = 'start',
    latest_build_version_id = :version_id::uuid,
    latest_build_status = NULL,
    latest_build_completed_at = NULL,
    current_preset_id = :preset_id::uuid,
    latest_agents_ready = false,
    failed_deletes = 0
  WHERE w.id = (
-- include: ClaimCandidate
  )
    AND w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND NOT w.deleted
    AND w.latest_build_version_id = (
      SELECT p.template_version_id FROM template_version_presets p WHERE p.id = :preset_id::uuid
    )
  RETURNING
    w.id, w.name, w.owner_id, w.organization_id, w.template_id, w.created_at,
    w.autostart_schedule, w.next_start_at, w.ttl, w.last_used_at, w.dormant_at, w.deleting_at,
    w.deleted, w.automatic_updates
),
attempt AS (
  INSERT INTO prebuild_claim_attempts (template_id, preset_name, preset_id, at, outcome)
  SELECT :template_id::uuid, :preset_name::text, :preset_id::uuid, :now::timestamptz, 'hit'
  FROM claimed
),
-- The claimed workspace as the claim left it, with what the build needs, if every assumption
-- above holds. The latest build is read from the snapshot: the claim does not change builds.
target AS (
  SELECT
    c.id, c.name, c.owner_id, u.username AS owner, c.template_id, t.name AS template,
    c.organization_id, o.name AS organization, c.autostart_schedule, c.next_start_at,
    c.ttl AS ttl_ms, c.last_used_at, c.dormant_at, c.deleting_at, c.deleted,
    c.automatic_updates::text, c.created_at,
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
  FROM claimed c
  JOIN users u ON u.id = c.owner_id
  JOIN templates t ON t.id = c.template_id
  JOIN organizations o ON o.id = c.organization_id
  JOIN LATERAL (
    SELECT b.id, b.build_number, b.template_version_id, b.job_id
    FROM workspace_builds b
    WHERE b.workspace_id = c.id
    ORDER BY b.build_number DESC
    LIMIT 1
  ) lb ON true
  JOIN provisioner_jobs lj ON lj.id = lb.job_id
  JOIN template_version_presets p
    ON p.id = :preset_id::uuid AND p.template_version_id = :version_id::uuid
  WHERE NOT c.deleted
    AND c.template_id = :template_id::uuid
    AND lb.template_version_id = :version_id::uuid
    AND lj.job_status NOT IN ('pending', 'running', 'canceling')
),
job AS (
  INSERT INTO provisioner_jobs (
    id, created_at, updated_at, organization_id, initiator_id, provisioner, type, input, tags
  )
  SELECT
    :job_id::uuid, :now::timestamptz, :now::timestamptz, target.organization_id,
    target.owner_id, :provisioner::provisioner_type, 'workspace_build',
    :input::jsonb || jsonb_build_object(
      'workspace_name', target.name,
      'owner_id', target.owner_id,
      'owner_name', target.owner,
      'workspace_id', target.id,
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
    :version_id::uuid, target.build_number, 'start', target.owner_id, job.id, 'claim',
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
FROM claimed
LEFT JOIN target ON target.id = claimed.id
LEFT JOIN job ON true
LEFT JOIN build ON true
CROSS JOIN (SELECT count(*) FROM notified) AS sent
-- The guard: a claim without its build fails the whole statement, so neither is committed. SQL
-- has no RAISE; a failing cast is the error (SQLSTATE 22P02), with this text as its value. CASE
-- keeps it from being evaluated unless the build is missing.
WHERE CASE
  WHEN build.id IS NULL
    THEN ('claim of workspace ' || claimed.id || ' left without its claim build: not committed')::uuid
      IS NULL
  ELSE true
END;
