-- Demand-aware prebuild autoscaling: each preset's policy, and the claim history it learns from.

-- The preset's validated `prebuilds.autoscaling` block as pushed (`{"expression": ...}` or
-- `{"forecast": {...}}`, normalised); NULL = the pool follows instances and schedules only.
ALTER TABLE template_version_presets ADD COLUMN autoscaling jsonb
  CHECK (autoscaling IS NULL OR jsonb_typeof(autoscaling) = 'object');

-- Versions pushed before this migration: the block is in the stored config.
UPDATE template_version_presets p
SET autoscaling = e.value -> 'prebuilds' -> 'autoscaling'
FROM template_versions v
CROSS JOIN LATERAL jsonb_array_elements(
  CASE WHEN jsonb_typeof(v.config -> 'presets') = 'array' THEN v.config -> 'presets' ELSE '[]' END
) AS e(value)
WHERE v.id = p.template_version_id
  AND e.value ->> 'name' = p.name
  AND jsonb_typeof(e.value -> 'prebuilds' -> 'autoscaling') = 'object';

-- One row per claim attempt on a preset that keeps prebuilds, written in the transaction of the
-- claim (`hit`) or of the normal build that ran because no prebuild was eligible (`miss`).
-- Counted by template and preset NAME, so a new template version keeps its preset's history;
-- preset_id is the version's preset at the time (no foreign key: history outlives versions).
CREATE TABLE prebuild_claim_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  template_id uuid NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  preset_name text NOT NULL,
  preset_id uuid NOT NULL,
  at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('hit', 'miss'))
);

-- The pass's window counts (the last 120 minutes of every preset, index-only) and the
-- retention's batched deletes (oldest first).
CREATE INDEX prebuild_claim_attempts_at ON prebuild_claim_attempts (at)
  INCLUDE (template_id, preset_name, outcome);

-- One preset's history: the forecast's hour-of-week profile and the simulator's demand.
CREATE INDEX prebuild_claim_attempts_preset_at ON prebuild_claim_attempts (template_id, preset_name, at);
