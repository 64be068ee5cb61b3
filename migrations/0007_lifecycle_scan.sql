-- Lifecycle scheduler and notification dispatcher support (issue 6).
--
-- The scheduler's candidate query is a union of index range scans, one per rule. Two rules depend
-- on the LATEST build (autostop: its stop instant; failed cleanup: when its job failed), which no
-- index over workspace_builds can find without scanning build history. So the latest build's two
-- instants are cached on workspaces, kept current by triggers on workspace_builds and
-- provisioner_jobs (writers need not know about them).

ALTER TABLE workspaces
  -- Latest build is a start: the instant it must stop (deadline, else max_deadline); else NULL.
  ADD COLUMN autostop_at timestamptz,
  -- Latest build's job failed: when it finished; else NULL.
  ADD COLUMN failed_build_at timestamptz;

CREATE FUNCTION refresh_workspace_lifecycle_cache(target uuid) RETURNS void
LANGUAGE sql AS $$
  UPDATE workspaces w
  SET autostop_at = c.autostop_at, failed_build_at = c.failed_build_at
  FROM (
    SELECT
      CASE WHEN b.transition = 'start' THEN COALESCE(b.deadline, b.max_deadline) END AS autostop_at,
      CASE WHEN j.job_status = 'failed' THEN j.completed_at END AS failed_build_at
    FROM workspace_builds b
    JOIN provisioner_jobs j ON j.id = b.job_id
    WHERE b.workspace_id = target
    ORDER BY b.build_number DESC
    LIMIT 1
  ) c
  WHERE w.id = target
    -- Only write (and lock the row) when something changed.
    AND (w.autostop_at IS DISTINCT FROM c.autostop_at
      OR w.failed_build_at IS DISTINCT FROM c.failed_build_at);
$$;

CREATE FUNCTION workspace_builds_lifecycle_cache() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_workspace_lifecycle_cache(NEW.workspace_id);
  RETURN NULL;
END;
$$;

CREATE TRIGGER workspace_builds_lifecycle_cache
AFTER INSERT OR UPDATE OF deadline, max_deadline, transition, job_id ON workspace_builds
FOR EACH ROW EXECUTE FUNCTION workspace_builds_lifecycle_cache();

CREATE FUNCTION provisioner_jobs_lifecycle_cache() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_workspace_lifecycle_cache(b.workspace_id)
  FROM workspace_builds b
  WHERE b.job_id = NEW.id;
  RETURN NULL;
END;
$$;

-- Heartbeats (updated_at) do not fire it: only a change of the job's outcome does.
CREATE TRIGGER provisioner_jobs_lifecycle_cache
AFTER UPDATE OF completed_at, canceled_at, error ON provisioner_jobs
FOR EACH ROW
WHEN (OLD.completed_at IS DISTINCT FROM NEW.completed_at
  OR OLD.canceled_at IS DISTINCT FROM NEW.canceled_at
  OR OLD.error IS DISTINCT FROM NEW.error)
EXECUTE FUNCTION provisioner_jobs_lifecycle_cache();

SELECT refresh_workspace_lifecycle_cache(id) FROM workspaces WHERE NOT deleted;

-- One index per rule of the candidate query (prebuilds excluded by every predicate).
CREATE INDEX workspaces_autostop_at ON workspaces (autostop_at)
WHERE NOT deleted AND autostop_at IS NOT NULL
  AND owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid;

CREATE INDEX workspaces_failed_build_at ON workspaces (failed_build_at)
WHERE NOT deleted AND failed_build_at IS NOT NULL
  AND owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid;

-- Dormancy is per template (time_til_dormant): a range per template instead of one global range.
CREATE INDEX workspaces_dormancy_by_template ON workspaces (template_id, last_used_at)
WHERE NOT deleted AND dormant_at IS NULL
  AND owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid;

-- Superseded by the two above: every activity bump rewrote them for nothing.
DROP INDEX workspaces_dormancy;
DROP INDEX workspace_builds_deadline;

-- Schedules whose next_start_at still has to be computed.
CREATE INDEX workspaces_autostart_unscheduled ON workspaces (id)
WHERE NOT deleted AND autostart_schedule IS NOT NULL AND next_start_at IS NULL
  AND dormant_at IS NULL AND owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid;

CREATE INDEX users_suspended ON users (id) WHERE status = 'suspended';

-- Executors: started lifecycle jobs, to fail the ones whose executor died.
CREATE INDEX workspace_lifecycle_job_running ON workspace_lifecycle_job (started_at)
WHERE started_at IS NOT NULL AND completed_at IS NULL AND cancelled_at IS NULL;

-- Everything the lifecycle decides from, one row per non-deleted workspace that has a build.
-- Inlined by the planner: filtering on workspace_id reads only those workspaces.
CREATE VIEW workspace_lifecycle_states AS
SELECT
  w.id AS workspace_id,
  w.name AS workspace_name,
  w.owner_id,
  w.organization_id,
  w.template_id,
  w.autostart_schedule,
  w.next_start_at,
  w.ttl,
  w.last_used_at,
  w.dormant_at,
  w.deleting_at,
  w.automatic_updates,
  u.username AS owner_username,
  u.status AS owner_status,
  u.quiet_hours_schedule AS owner_quiet_hours_schedule,
  t.name AS template_name,
  t.active_version_id,
  t.require_active_version,
  t.allow_user_autostart,
  t.allow_user_autostop,
  t.default_ttl,
  t.activity_bump,
  t.autostop_requirement_days_of_week,
  t.autostop_requirement_weeks,
  t.autostart_block_days_of_week,
  t.failure_ttl,
  t.time_til_dormant,
  t.time_til_dormant_autodelete,
  t.time_til_autostop_notify,
  b.id AS build_id,
  b.build_number,
  b.transition,
  b.created_at AS build_created_at,
  b.template_version_id AS build_template_version_id,
  b.reason AS build_reason,
  b.deadline,
  b.max_deadline,
  b.notified_autostop_deadline,
  b.job_id,
  pj.job_status,
  pj.completed_at AS job_completed_at,
  pj.canceled_at AS job_canceled_at,
  pj.error AS job_error,
  lj.id AS lifecycle_job_id,
  lj.operation AS lifecycle_job_operation,
  lj.reason AS lifecycle_job_reason,
  lj.deadline AS lifecycle_job_deadline,
  lj.started_at AS lifecycle_job_started_at
FROM workspaces w
JOIN users u ON u.id = w.owner_id
JOIN templates t ON t.id = w.template_id
CROSS JOIN LATERAL (
  SELECT wb.*
  FROM workspace_builds wb
  WHERE wb.workspace_id = w.id
  ORDER BY wb.build_number DESC
  LIMIT 1
) b
JOIN provisioner_jobs pj ON pj.id = b.job_id
LEFT JOIN workspace_lifecycle_job lj
  ON lj.workspace_id = w.id AND lj.completed_at IS NULL AND lj.cancelled_at IS NULL
WHERE NOT w.deleted;

-- Notification dispatchers: leases that expired (their dispatcher died) and the retention purge.
CREATE INDEX notification_messages_expired_leases ON notification_messages (leased_until)
WHERE status = 'leased';

CREATE INDEX notification_messages_created_at ON notification_messages (created_at);
