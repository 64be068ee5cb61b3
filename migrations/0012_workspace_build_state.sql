-- The latest build's state on the workspace row (issue 14).
--
-- The reconciler's snapshot and the claim both asked, for every prebuild, "what is its latest
-- build, how did its job end, are its agents ready, which preset is it on": four index probes per
-- prebuild per pass (about 35 of the 60 ms of the snapshot's main query at 100k workspaces), and
-- the same probes for every candidate a claim walks past, locked or not. Migration 0007 already
-- caches two instants of the latest build here for the lifecycle scheduler; this extends that
-- cache to everything the prebuild paths read, so the snapshot is one index scan and the claim
-- walks a partial index holding only claimable prebuilds.
--
-- Kept current by triggers on workspace_builds, provisioner_jobs and workspace_agents: writers
-- need not know about it. The refresh first locks the workspace row, then reads in a NEW statement
-- (a fresh snapshot under READ COMMITTED), so two writers touching the same workspace at once (an
-- agent turning ready while the job completes) cannot leave a state computed from a snapshot that
-- missed the other's commit: the second waits for the first's lock, then reads what it committed.

ALTER TABLE workspaces
  -- The latest build (highest build_number) and what the prebuild paths read of it.
  ADD COLUMN latest_build_id uuid,
  ADD COLUMN latest_build_transition workspace_transition,
  ADD COLUMN latest_build_version_id uuid,
  -- The latest build's job status once it is settled (succeeded, failed, canceled, canceling);
  -- NULL while it is pending or running without an error. Starting a job does not fire the
  -- trigger (acquisition stays one write), so pending and running are not told apart here.
  ADD COLUMN latest_build_status provisioner_job_status,
  ADD COLUMN latest_build_completed_at timestamptz,
  -- The latest build's preset, else that of the newest build that named one (the "current preset").
  ADD COLUMN current_preset_id uuid,
  -- The latest build has agents and every one that is not deleted reports ready.
  ADD COLUMN latest_agents_ready boolean NOT NULL DEFAULT false,
  -- Consecutive failed deletes ending with the latest build (0 unless it is a failed delete).
  ADD COLUMN failed_deletes integer NOT NULL DEFAULT 0;

CREATE FUNCTION refresh_workspace_build_cache(target uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Lock first, read after (see the header): the UPDATE below takes a new snapshot.
  PERFORM 1 FROM workspaces WHERE id = target FOR UPDATE;
  UPDATE workspaces w
  SET
    autostop_at = c.autostop_at,
    failed_build_at = c.failed_build_at,
    latest_build_id = c.build_id,
    latest_build_transition = c.transition,
    latest_build_version_id = c.template_version_id,
    latest_build_status = c.status,
    latest_build_completed_at = c.completed_at,
    current_preset_id = c.preset_id,
    latest_agents_ready = c.agents_ready,
    failed_deletes = c.failed_deletes
  FROM (
    SELECT
      CASE WHEN b.transition = 'start' THEN COALESCE(b.deadline, b.max_deadline) END AS autostop_at,
      CASE WHEN j.job_status = 'failed' THEN j.completed_at END AS failed_build_at,
      b.id AS build_id,
      b.transition,
      b.template_version_id,
      CASE WHEN j.job_status NOT IN ('pending', 'running') THEN j.job_status END AS status,
      j.completed_at,
      COALESCE(b.template_version_preset_id, (
        SELECT pb.template_version_preset_id
        FROM workspace_builds pb
        WHERE pb.workspace_id = target AND pb.template_version_preset_id IS NOT NULL
        ORDER BY pb.build_number DESC
        LIMIT 1
      )) AS preset_id,
      COALESCE((
        SELECT bool_and(a.lifecycle_state = 'ready')
        FROM workspace_agents a
        WHERE a.workspace_build_id = b.id AND NOT a.deleted
      ), false) AS agents_ready,
      CASE WHEN b.transition = 'delete' AND j.job_status = 'failed' THEN (
        SELECT count(*)::int
        FROM workspace_builds fb
        JOIN provisioner_jobs fj ON fj.id = fb.job_id
        WHERE fb.workspace_id = target
          AND fb.transition = 'delete'
          AND fj.job_status = 'failed'
          AND fb.build_number > COALESCE((
            SELECT max(ob.build_number)
            FROM workspace_builds ob
            JOIN provisioner_jobs oj ON oj.id = ob.job_id
            WHERE ob.workspace_id = target
              AND NOT (ob.transition = 'delete' AND oj.job_status = 'failed')
          ), 0)
      ) ELSE 0 END AS failed_deletes
    FROM workspace_builds b
    JOIN provisioner_jobs j ON j.id = b.job_id
    WHERE b.workspace_id = target
    ORDER BY b.build_number DESC
    LIMIT 1
  ) c
  WHERE w.id = target
    -- Only write when something changed.
    AND (w.autostop_at, w.failed_build_at, w.latest_build_id, w.latest_build_transition,
         w.latest_build_version_id, w.latest_build_status, w.latest_build_completed_at,
         w.current_preset_id, w.latest_agents_ready, w.failed_deletes)
      IS DISTINCT FROM
        (c.autostop_at, c.failed_build_at, c.build_id, c.transition, c.template_version_id,
         c.status, c.completed_at, c.preset_id, c.agents_ready, c.failed_deletes);
END;
$$;

-- The lifecycle cache's triggers now call the one refresh.
DROP TRIGGER workspace_builds_lifecycle_cache ON workspace_builds;
DROP TRIGGER provisioner_jobs_lifecycle_cache ON provisioner_jobs;
DROP FUNCTION workspace_builds_lifecycle_cache();
DROP FUNCTION provisioner_jobs_lifecycle_cache();
DROP FUNCTION refresh_workspace_lifecycle_cache(uuid);

CREATE FUNCTION workspace_builds_build_cache() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_workspace_build_cache(NEW.workspace_id);
  RETURN NULL;
END;
$$;

CREATE TRIGGER workspace_builds_build_cache
AFTER INSERT OR UPDATE OF deadline, max_deadline, transition, job_id, template_version_id,
  template_version_preset_id ON workspace_builds
FOR EACH ROW EXECUTE FUNCTION workspace_builds_build_cache();

CREATE FUNCTION provisioner_jobs_build_cache() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_workspace_build_cache(b.workspace_id)
  FROM workspace_builds b
  WHERE b.job_id = NEW.id;
  RETURN NULL;
END;
$$;

-- Heartbeats (updated_at) and the start (started_at) do not fire it: only a settled outcome does.
CREATE TRIGGER provisioner_jobs_build_cache
AFTER UPDATE OF completed_at, canceled_at, error ON provisioner_jobs
FOR EACH ROW
WHEN (OLD.completed_at IS DISTINCT FROM NEW.completed_at
  OR OLD.canceled_at IS DISTINCT FROM NEW.canceled_at
  OR OLD.error IS DISTINCT FROM NEW.error)
EXECUTE FUNCTION provisioner_jobs_build_cache();

CREATE FUNCTION workspace_agents_build_cache() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM refresh_workspace_build_cache(OLD.workspace_id);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.workspace_id <> OLD.workspace_id) THEN
    PERFORM refresh_workspace_build_cache(NEW.workspace_id);
  END IF;
  RETURN NULL;
END;
$$;

-- Only a change that can move readiness fires it.
CREATE TRIGGER workspace_agents_build_cache
AFTER INSERT OR DELETE OR UPDATE OF lifecycle_state, deleted, workspace_build_id, workspace_id
ON workspace_agents
FOR EACH ROW EXECUTE FUNCTION workspace_agents_build_cache();

SELECT refresh_workspace_build_cache(id) FROM workspaces WHERE NOT deleted;

-- The snapshot's one scan: every live prebuild with all it reads (index-only when the pages are
-- all-visible). Same name and key as before; the claim no longer uses it.
DROP INDEX workspaces_prebuilds;
CREATE INDEX workspaces_prebuilds ON workspaces (template_id, created_at)
INCLUDE (id, name, latest_build_transition, latest_build_version_id, latest_build_status,
  latest_build_completed_at, current_preset_id, latest_agents_ready, failed_deletes)
WHERE owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid AND NOT deleted;

-- The claim's scan: a preset's claimable prebuilds, oldest first, nothing else. A claimed row
-- leaves it (owner_id), as does one reserved for deletion (deleting_at) or rebuilt.
CREATE INDEX workspaces_claimable ON workspaces (current_preset_id, created_at)
WHERE owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid AND NOT deleted
  AND deleting_at IS NULL AND latest_build_transition = 'start'
  AND latest_build_status = 'succeeded' AND latest_agents_ready;
