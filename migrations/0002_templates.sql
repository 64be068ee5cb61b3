-- Templates, their versions, presets, preset parameters and prebuild schedules.
-- Every duration column is in milliseconds, except invalidate_after_secs (Coder's name and unit).

CREATE TYPE provisioner_type AS ENUM ('echo', 'exec');

CREATE TYPE prebuild_status AS ENUM ('healthy', 'hard_limited', 'validation_failed');

CREATE TABLE templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id),
  name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  display_name text NOT NULL DEFAULT '',
  active_version_id uuid,
  deleted boolean NOT NULL DEFAULT false,
  -- Non-empty = deprecated, with the reason.
  deprecated text NOT NULL DEFAULT '',
  provisioner provisioner_type NOT NULL DEFAULT 'echo',
  default_ttl bigint NOT NULL DEFAULT 0 CHECK (default_ttl >= 0),
  activity_bump bigint NOT NULL DEFAULT 3600000 CHECK (activity_bump >= 0),
  allow_user_autostart boolean NOT NULL DEFAULT true,
  allow_user_autostop boolean NOT NULL DEFAULT true,
  -- Bit 0 = Monday ... bit 6 = Sunday.
  autostop_requirement_days_of_week smallint NOT NULL DEFAULT 0
    CHECK (autostop_requirement_days_of_week BETWEEN 0 AND 127),
  autostop_requirement_weeks bigint NOT NULL DEFAULT 1
    CHECK (autostop_requirement_weeks BETWEEN 1 AND 16),
  -- Days on which autostart is NOT allowed (bit 0 = Monday).
  autostart_block_days_of_week smallint NOT NULL DEFAULT 0
    CHECK (autostart_block_days_of_week BETWEEN 0 AND 127),
  require_active_version boolean NOT NULL DEFAULT false,
  failure_ttl bigint NOT NULL DEFAULT 0 CHECK (failure_ttl >= 0),
  time_til_dormant bigint NOT NULL DEFAULT 0 CHECK (time_til_dormant >= 0),
  time_til_dormant_autodelete bigint NOT NULL DEFAULT 0 CHECK (time_til_dormant_autodelete >= 0),
  time_til_autostop_notify bigint NOT NULL DEFAULT 0 CHECK (time_til_autostop_notify >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX templates_organization_id_name_key ON templates (organization_id, name)
WHERE NOT deleted;

CREATE TABLE template_versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template_id uuid NOT NULL REFERENCES templates (id),
  organization_id uuid NOT NULL REFERENCES organizations (id),
  name text NOT NULL,
  -- The pushed template config as validated JSON, and the hash that makes re-pushes no-ops.
  config jsonb NOT NULL DEFAULT '{}',
  content_hash text NOT NULL DEFAULT '',
  provisioner provisioner_type NOT NULL DEFAULT 'echo',
  -- Provisioner tags every job of this version carries.
  tags jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(tags) = 'object'),
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT template_versions_template_id_name_key UNIQUE (template_id, name)
);

ALTER TABLE templates
ADD CONSTRAINT templates_active_version_id_fkey FOREIGN KEY (active_version_id) REFERENCES template_versions (id);

CREATE TABLE template_version_presets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template_version_id uuid NOT NULL REFERENCES template_versions (id) ON DELETE CASCADE,
  name text NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  -- NULL = this preset has no prebuilds.
  desired_instances integer CHECK (desired_instances >= 0),
  -- Prebuild TTL in seconds; 0 or NULL = never expire.
  invalidate_after_secs integer DEFAULT 0 CHECK (invalidate_after_secs >= 0),
  scheduling_timezone text NOT NULL DEFAULT '',
  prebuild_status prebuild_status NOT NULL DEFAULT 'healthy',
  prebuild_status_updated_at timestamptz,
  -- Prebuilds created before this instant are expired (manual invalidation).
  last_invalidated_at timestamptz,
  -- Failed builds before this instant no longer count toward the hard limit (explicit reset).
  failure_limit_reset_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT template_version_presets_name_key UNIQUE (template_version_id, name)
);

CREATE UNIQUE INDEX template_version_presets_one_default ON template_version_presets (template_version_id)
WHERE is_default;

CREATE INDEX template_version_presets_prebuilds ON template_version_presets (template_version_id)
WHERE desired_instances IS NOT NULL;

CREATE TABLE template_version_preset_parameters (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template_version_preset_id uuid NOT NULL REFERENCES template_version_presets (id) ON DELETE CASCADE,
  name text NOT NULL,
  value text NOT NULL,
  CONSTRAINT template_version_preset_parameters_name_key UNIQUE (template_version_preset_id, name)
);

CREATE TABLE template_version_preset_prebuild_schedules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  preset_id uuid NOT NULL REFERENCES template_version_presets (id) ON DELETE CASCADE,
  -- Order in the config: the first matching schedule wins.
  position integer NOT NULL DEFAULT 0,
  cron_expression text NOT NULL,
  desired_instances integer NOT NULL CHECK (desired_instances >= 0),
  CONSTRAINT template_version_preset_prebuild_schedules_position_key UNIQUE (preset_id, position)
);
