-- name: GetClaimDemandWindows
-- Every preset's claim attempts in the windows (now - w, now] for w = 5, 10, 30, 60 and 120
-- minutes, in one statement: an index-only range scan of the last 120 minutes
-- (prebuild_claim_attempts_at), grouped by template and preset name. Presets without an attempt
-- in the last 120 minutes get no row (all zero).
SELECT
  template_id,
  preset_name,
  count(*) FILTER (WHERE outcome = 'hit' AND at > :now::timestamptz - interval '5 minutes')::int AS claims_5m,
  count(*) FILTER (WHERE outcome = 'hit' AND at > :now::timestamptz - interval '10 minutes')::int AS claims_10m,
  count(*) FILTER (WHERE outcome = 'hit' AND at > :now::timestamptz - interval '30 minutes')::int AS claims_30m,
  count(*) FILTER (WHERE outcome = 'hit' AND at > :now::timestamptz - interval '60 minutes')::int AS claims_60m,
  count(*) FILTER (WHERE outcome = 'hit')::int AS claims_120m,
  count(*) FILTER (WHERE outcome = 'miss' AND at > :now::timestamptz - interval '5 minutes')::int AS misses_5m,
  count(*) FILTER (WHERE outcome = 'miss' AND at > :now::timestamptz - interval '10 minutes')::int AS misses_10m,
  count(*) FILTER (WHERE outcome = 'miss' AND at > :now::timestamptz - interval '30 minutes')::int AS misses_30m,
  count(*) FILTER (WHERE outcome = 'miss' AND at > :now::timestamptz - interval '60 minutes')::int AS misses_60m,
  count(*) FILTER (WHERE outcome = 'miss')::int AS misses_120m
FROM prebuild_claim_attempts
WHERE at > :now::timestamptz - interval '120 minutes'
  AND at <= :now::timestamptz
GROUP BY template_id, preset_name;

-- name: GetClaimDemandProfiles
-- The forecast's demand history of several presets in one statement: per preset (template,
-- preset name, IANA zone, start of the history), its attempts (hits and misses) in [since, now)
-- counted per local hour of the week (weekday * 24 + hour, 0 = Sunday 00:00 in the zone), and
-- its first attempt ever (null = none). A zone PostgreSQL does not know counts in UTC (the
-- decision reports the zone itself). Each preset is an index range scan of
-- prebuild_claim_attempts_preset_at.
WITH wanted AS (
  SELECT w.template_id, w.preset_name, w.since,
         COALESCE((SELECT z.name FROM pg_timezone_names z WHERE z.name = w.timezone LIMIT 1), 'UTC') AS zone
  FROM unnest(:template_ids::uuid[], :preset_names::text[], :timezones::text[],
              :sinces::timestamptz[]) AS w(template_id, preset_name, timezone, since)
)
SELECT
  w.template_id,
  w.preset_name,
  (SELECT min(a.at) FROM prebuild_claim_attempts a
   WHERE a.template_id = w.template_id AND a.preset_name = w.preset_name) AS first_at,
  COALESCE((
    SELECT jsonb_object_agg(h.hour_of_week, h.attempts)
    FROM (
      SELECT (EXTRACT(DOW FROM a.at AT TIME ZONE w.zone) * 24
              + EXTRACT(HOUR FROM a.at AT TIME ZONE w.zone))::int AS hour_of_week,
             count(*)::int AS attempts
      FROM prebuild_claim_attempts a
      WHERE a.template_id = w.template_id
        AND a.preset_name = w.preset_name
        AND a.at >= w.since
        AND a.at < :now::timestamptz
      GROUP BY 1
    ) h
  ), '{}'::jsonb) AS by_hour_of_week
FROM wanted w;

-- name: GetPrebuildLeadTimes
-- Measured lead times of several presets in one statement: per preset (template, preset name:
-- every version's preset of that name), its :max_samples most recent prebuild creations since
-- :since whose job succeeded and whose agents are all ready, the time from the creation job's
-- start to the last agent's ready_at; returns how many, and their :quantile (null without any).
-- Walks workspace_builds_prebuild_creations per preset version, newest first.
WITH wanted AS (
  SELECT w.template_id, w.preset_name
  FROM unnest(:template_ids::uuid[], :preset_names::text[]) AS w(template_id, preset_name)
)
SELECT
  w.template_id,
  w.preset_name,
  count(s.ms)::int AS samples,
  percentile_cont(:quantile::float8) WITHIN GROUP (ORDER BY s.ms) AS lead_time_ms
FROM wanted w
LEFT JOIN LATERAL (
  SELECT EXTRACT(EPOCH FROM (r.ready_at - j.started_at)) * 1000 AS ms
  FROM template_versions tv
  JOIN template_version_presets p ON p.template_version_id = tv.id AND p.name = w.preset_name
  JOIN workspace_builds b ON b.template_version_preset_id = p.id
  JOIN provisioner_jobs j ON j.id = b.job_id
  CROSS JOIN LATERAL (
    SELECT max(a.ready_at) AS ready_at, bool_and(a.lifecycle_state = 'ready') AS all_ready
    FROM workspace_agents a
    WHERE a.workspace_build_id = b.id AND NOT a.deleted
  ) r
  WHERE tv.template_id = w.template_id
    AND b.initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
    AND b.build_number = 1
    AND b.created_at >= :since::timestamptz
    AND j.job_status = 'succeeded'
    AND j.started_at IS NOT NULL
    AND r.all_ready
    AND r.ready_at >= j.started_at
  ORDER BY b.created_at DESC
  LIMIT :max_samples::int
) s ON true
GROUP BY w.template_id, w.preset_name;
