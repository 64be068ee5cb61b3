-- name: LifecycleCandidates
-- One scheduler tick: every workspace for which a lifecycle rule may hold at :now, with everything
-- the pure decision (src/domain/lifecycle) needs. Each UNION arm is an index range scan (prebuilds
-- excluded by every index predicate); the final WHERE is the exact SQL complement of the pure
-- rules, so it returns no false negatives and no false positives except for autostart, whose cron
-- part SQL cannot evaluate (there `next_start_at` stands in). Keep both in sync: mind `<=` vs `<`
-- exactly as the TypeScript does (`now >= deadline` stops; `now - x > ttl` means `x < now - ttl`).
WITH candidate AS (
  -- Autostop at the deadline (or max_deadline), and reminders whose lead window has opened.
  SELECT w.id
  FROM workspaces w
  WHERE NOT w.deleted
    AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND w.autostop_at IS NOT NULL
    AND w.autostop_at <= :now::timestamptz + interval '1 millisecond' * (
      SELECT COALESCE(max(time_til_autostop_notify), 0) FROM templates
    )
  UNION
  -- Autostop of a suspended owner's running workspaces.
  SELECT w.id
  FROM users u
  JOIN workspaces w ON w.owner_id = u.id AND NOT w.deleted
  WHERE u.status = 'suspended'
  UNION
  -- Autostart: the cached next start has come, or has to be computed.
  SELECT w.id
  FROM workspaces w
  WHERE NOT w.deleted
    AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND w.next_start_at IS NOT NULL
    AND w.next_start_at <= :now::timestamptz
  UNION
  SELECT w.id
  FROM workspaces w
  WHERE NOT w.deleted
    AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND w.autostart_schedule IS NOT NULL
    AND w.next_start_at IS NULL
    AND w.dormant_at IS NULL
  UNION
  -- Failed-build cleanup.
  SELECT w.id
  FROM workspaces w
  WHERE NOT w.deleted
    AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND w.failed_build_at IS NOT NULL
    AND w.failed_build_at < :now::timestamptz
  UNION
  -- Dormancy, one index range per template (OFFSET 0: see the lookup below).
  SELECT i.id
  FROM templates t
  CROSS JOIN LATERAL (
    SELECT w.id
    FROM workspaces w
    WHERE w.template_id = t.id
      AND NOT w.deleted
      AND w.dormant_at IS NULL
      AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
      AND w.last_used_at < :now::timestamptz - interval '1 millisecond' * t.time_til_dormant
    OFFSET 0
  ) i
  WHERE t.time_til_dormant > 0
  UNION
  -- Dormant auto-delete.
  SELECT w.id
  FROM workspaces w
  WHERE NOT w.deleted
    AND w.deleting_at IS NOT NULL
    AND w.deleting_at < :now::timestamptz
)
SELECT s.*
FROM candidate c
-- OFFSET 0 keeps this a per-candidate index lookup: the planner cannot estimate the arms' run-time
-- bounds (now + a template's duration) and, guessing a third of the table, would otherwise pick
-- sequential scans of workspaces and users.
CROSS JOIN LATERAL (
  SELECT * FROM workspace_lifecycle_states v WHERE v.workspace_id = c.id OFFSET 0
) s
WHERE s.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  -- nextTransition and shouldRemindAutostop only judge builds whose job has finished.
  AND s.job_status IN ('succeeded', 'failed', 'canceled')
  AND (
    -- autostop
    (
      s.job_status <> 'failed'
      AND s.dormant_at IS NULL
      AND s.transition = 'start'
      AND (
        s.owner_status = 'suspended'
        OR COALESCE(s.deadline, s.max_deadline) <= :now::timestamptz
      )
    )
    -- autostart (cron part checked in TypeScript)
    OR (
      s.owner_status = 'active'
      AND s.job_status <> 'failed'
      AND s.dormant_at IS NULL
      AND s.transition = 'stop'
      AND s.allow_user_autostart
      AND s.autostart_schedule IS NOT NULL
      AND (s.next_start_at IS NULL OR s.next_start_at <= :now::timestamptz)
    )
    -- failed-build cleanup
    OR (
      s.failure_ttl > 0
      AND s.job_status = 'failed'
      AND s.transition IN ('start', 'stop')
      AND s.job_completed_at < :now::timestamptz - interval '1 millisecond' * s.failure_ttl
    )
    -- dormancy
    OR (
      s.dormant_at IS NULL
      AND s.time_til_dormant > 0
      AND s.last_used_at < :now::timestamptz - interval '1 millisecond' * s.time_til_dormant
    )
    -- dormant auto-delete, a failed delete retried after 24 hours
    OR (
      s.dormant_at IS NOT NULL
      AND s.deleting_at < :now::timestamptz
      AND s.time_til_dormant_autodelete > 0
      AND (
        NOT (s.transition = 'delete' AND s.job_status = 'failed')
        OR COALESCE(s.job_canceled_at, s.job_completed_at) < :now::timestamptz - interval '24 hours'
      )
    )
    -- autostop reminder
    OR (
      s.job_status = 'succeeded'
      AND s.transition = 'start'
      AND s.dormant_at IS NULL
      AND s.time_til_autostop_notify > 0
      AND COALESCE(s.deadline, s.max_deadline) > :now::timestamptz
      AND COALESCE(s.deadline, s.max_deadline)
        <= :now::timestamptz + interval '1 millisecond' * s.time_til_autostop_notify
      AND (
        s.last_used_at <= :now::timestamptz - interval '1 millisecond' * :active_window_ms::bigint
        OR s.activity_bump = 0
        OR s.max_deadline
          <= :now::timestamptz + interval '1 millisecond' * s.time_til_autostop_notify
      )
      AND s.notified_autostop_deadline IS DISTINCT FROM COALESCE(s.deadline, s.max_deadline)
    )
  )
ORDER BY s.workspace_id;

-- name: LifecycleStateByWorkspace
-- One workspace's lifecycle state, for the executor's re-check under its advisory lock. No
-- filtering: the pure decision rejects prebuilds, unfinished jobs and the like itself.
SELECT s.*
FROM workspace_lifecycle_states s
WHERE s.workspace_id = :workspace_id::uuid;

-- name: LifecycleNextDue
-- The earliest instant after :now at which a lifecycle rule may start to hold for a workspace
-- that nothing writes to meanwhile: a stop deadline (or its reminder window opening), a cached
-- next start, a failed build's failure_ttl passing, a workspace going idle past its template's
-- dormancy threshold, a deletion date. The scheduler wakes then (capped by its interval), so
-- deadlines fire within a tick of their instant. Each arm reads the first entry of an index
-- range; an instant that turns out not to be due (a reminder already sent, a prebuild) only
-- costs one early tick. Only instants up to :now + :horizon_ms (the interval) matter, which keeps
-- the reminder arm, the only one an index cannot answer directly, to a short index range. NULL
-- when nothing is pending.
SELECT LEAST(
  (
    SELECT min(w.autostop_at) FROM workspaces w
    WHERE NOT w.deleted AND w.autostop_at IS NOT NULL AND w.autostop_at > :now::timestamptz
      AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  ),
  (
    -- Reminder windows: the deadline minus the template's lead time.
    SELECT min(w.autostop_at - interval '1 millisecond' * t.time_til_autostop_notify)
    FROM workspaces w
    JOIN templates t ON t.id = w.template_id
    WHERE NOT w.deleted AND w.autostop_at IS NOT NULL
      AND w.autostop_at > :now::timestamptz
      AND w.autostop_at <= :now::timestamptz + interval '1 millisecond' * (
        :horizon_ms::bigint + (SELECT COALESCE(max(time_til_autostop_notify), 0) FROM templates)
      )
      AND t.time_til_autostop_notify > 0
      AND w.autostop_at - interval '1 millisecond' * t.time_til_autostop_notify > :now::timestamptz
      AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  ),
  (
    SELECT min(w.next_start_at) FROM workspaces w
    WHERE NOT w.deleted AND w.next_start_at IS NOT NULL AND w.next_start_at > :now::timestamptz
      AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  ),
  (
    -- Failed-build cleanup is due once `failure_ttl` has passed (strictly) since the failure.
    SELECT min(w.failed_build_at + interval '1 millisecond' * (t.failure_ttl + 1))
    FROM workspaces w
    JOIN templates t ON t.id = w.template_id
    WHERE NOT w.deleted AND w.failed_build_at IS NOT NULL AND t.failure_ttl > 0
      AND w.failed_build_at + interval '1 millisecond' * (t.failure_ttl + 1) > :now::timestamptz
      AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
  ),
  (
    -- Dormancy, per template: the least recently used workspace not yet idle long enough.
    SELECT min(i.last_used_at + interval '1 millisecond' * (t.time_til_dormant + 1))
    FROM templates t
    CROSS JOIN LATERAL (
      SELECT w.last_used_at
      FROM workspaces w
      WHERE w.template_id = t.id
        AND NOT w.deleted
        AND w.dormant_at IS NULL
        AND w.owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
        AND w.last_used_at >= :now::timestamptz - interval '1 millisecond' * t.time_til_dormant
      ORDER BY w.last_used_at
      LIMIT 1
    ) i
    WHERE t.time_til_dormant > 0
  ),
  (
    -- Auto-delete is due once `deleting_at` has passed (strictly).
    SELECT min(w.deleting_at + interval '1 millisecond') FROM workspaces w
    WHERE NOT w.deleted AND w.deleting_at IS NOT NULL AND w.deleting_at >= :now::timestamptz
  )
) AS next_due_at;
