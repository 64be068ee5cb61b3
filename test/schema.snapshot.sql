ENUM automatic_updates ('always', 'never')
ENUM build_reason ('initiator', 'autostart', 'autostop', 'dormancy', 'failedstop', 'autodelete', 'prebuild', 'claim')
ENUM log_level ('trace', 'debug', 'info', 'warn', 'error')
ENUM notification_message_status ('pending', 'leased', 'sent', 'permanent_failure', 'temporary_failure', 'inhibited')
ENUM prebuild_status ('healthy', 'hard_limited', 'validation_failed')
ENUM provisioner_job_status ('pending', 'running', 'succeeded', 'canceling', 'canceled', 'failed')
ENUM provisioner_job_type ('workspace_build')
ENUM provisioner_type ('echo', 'exec')
ENUM user_status ('active', 'suspended', 'dormant')
ENUM workspace_agent_lifecycle_state ('created', 'starting', 'start_timeout', 'start_error', 'ready', 'shutting_down', 'shutdown_timeout', 'shutdown_error', 'off')
ENUM workspace_lifecycle_operation ('start', 'stop', 'delete', 'dormant')
ENUM workspace_transition ('start', 'stop', 'delete')
TABLE api_tokens
  id uuid NOT NULL DEFAULT gen_random_uuid()
  name text NOT NULL
  role text NOT NULL
  token_hash text NOT NULL
  created_by text NOT NULL
  created_at timestamp with time zone NOT NULL
  last_used_at timestamp with time zone
  expires_at timestamp with time zone
  revoked_at timestamp with time zone
TABLE notification_messages
  id uuid NOT NULL DEFAULT gen_random_uuid()
  template text NOT NULL
  user_id uuid
  method text NOT NULL DEFAULT 'webhook'::text
  status notification_message_status NOT NULL DEFAULT 'pending'::notification_message_status
  status_reason text
  payload jsonb NOT NULL DEFAULT '{}'::jsonb
  targets uuid[] NOT NULL DEFAULT '{}'::uuid[]
  created_by text NOT NULL
  created_at timestamp with time zone NOT NULL DEFAULT now()
  updated_at timestamp with time zone NOT NULL DEFAULT now()
  send_after timestamp with time zone NOT NULL DEFAULT now()
  leased_until timestamp with time zone
  leased_by text
  attempts integer NOT NULL DEFAULT 0
  sent_at timestamp with time zone
  dedupe_hash text NOT NULL
TABLE organizations
  id uuid NOT NULL DEFAULT gen_random_uuid()
  name text NOT NULL
  created_at timestamp with time zone NOT NULL DEFAULT now()
  updated_at timestamp with time zone NOT NULL DEFAULT now()
TABLE prebuild_claim_attempts
  id bigint NOT NULL IDENTITY a
  template_id uuid NOT NULL
  preset_name text NOT NULL
  preset_id uuid NOT NULL
  at timestamp with time zone NOT NULL
  outcome text NOT NULL
TABLE prebuild_delete_abandonments
  workspace_id uuid NOT NULL
  failed_deletes integer NOT NULL
  abandoned_at timestamp with time zone NOT NULL
TABLE provisioner_daemons
  id uuid NOT NULL DEFAULT gen_random_uuid()
  name text NOT NULL
  organization_id uuid
  provisioners provisioner_type[] NOT NULL
  tags jsonb NOT NULL DEFAULT '{}'::jsonb
  version text NOT NULL DEFAULT ''::text
  created_at timestamp with time zone NOT NULL DEFAULT now()
  last_seen_at timestamp with time zone NOT NULL DEFAULT now()
TABLE provisioner_job_logs
  id bigint NOT NULL IDENTITY a
  job_id uuid NOT NULL
  created_at timestamp with time zone NOT NULL DEFAULT now()
  level log_level NOT NULL DEFAULT 'info'::log_level
  stage text NOT NULL DEFAULT ''::text
  output text NOT NULL
TABLE provisioner_jobs
  id uuid NOT NULL DEFAULT gen_random_uuid()
  created_at timestamp with time zone NOT NULL DEFAULT now()
  updated_at timestamp with time zone NOT NULL DEFAULT now()
  started_at timestamp with time zone
  canceled_at timestamp with time zone
  completed_at timestamp with time zone
  error text
  error_code text
  organization_id uuid NOT NULL
  initiator_id uuid NOT NULL
  provisioner provisioner_type NOT NULL
  type provisioner_job_type NOT NULL DEFAULT 'workspace_build'::provisioner_job_type
  input jsonb NOT NULL DEFAULT '{}'::jsonb
  tags jsonb NOT NULL DEFAULT '{}'::jsonb
  worker_id uuid
  job_status provisioner_job_status NOT NULL GENERATED CASE WHEN (completed_at IS NOT NULL) THEN CASE WHEN (error <> ''::text) THEN 'failed'::provisioner_job_status WHEN (canceled_at IS NOT NULL) THEN 'canceled'::provisioner_job_status ELSE 'succeeded'::provisioner_job_status END ELSE CASE WHEN (error <> ''::text) THEN 'failed'::provisioner_job_status WHEN (canceled_at IS NOT NULL) THEN 'canceling'::provisioner_job_status WHEN (started_at IS NULL) THEN 'pending'::provisioner_job_status ELSE 'running'::provisioner_job_status END END
  canceled_by text
TABLE schema_migrations
  version integer NOT NULL
  name text NOT NULL
  checksum text NOT NULL
  applied_at timestamp with time zone NOT NULL DEFAULT now()
TABLE settings
  key text NOT NULL
  value jsonb NOT NULL
  updated_at timestamp with time zone NOT NULL DEFAULT now()
TABLE template_version_preset_parameters
  id uuid NOT NULL DEFAULT gen_random_uuid()
  template_version_preset_id uuid NOT NULL
  name text NOT NULL
  value text NOT NULL
TABLE template_version_preset_prebuild_schedules
  id uuid NOT NULL DEFAULT gen_random_uuid()
  preset_id uuid NOT NULL
  position integer NOT NULL DEFAULT 0
  cron_expression text NOT NULL
  desired_instances integer NOT NULL
TABLE template_version_presets
  id uuid NOT NULL DEFAULT gen_random_uuid()
  template_version_id uuid NOT NULL
  name text NOT NULL
  is_default boolean NOT NULL DEFAULT false
  desired_instances integer
  invalidate_after_secs integer DEFAULT 0
  scheduling_timezone text NOT NULL DEFAULT ''::text
  prebuild_status prebuild_status NOT NULL DEFAULT 'healthy'::prebuild_status
  prebuild_status_updated_at timestamp with time zone
  last_invalidated_at timestamp with time zone
  failure_limit_reset_at timestamp with time zone
  created_at timestamp with time zone NOT NULL DEFAULT now()
  autoscaling jsonb
TABLE template_versions
  id uuid NOT NULL DEFAULT gen_random_uuid()
  template_id uuid NOT NULL
  organization_id uuid NOT NULL
  name text NOT NULL
  config jsonb NOT NULL DEFAULT '{}'::jsonb
  content_hash text NOT NULL DEFAULT ''::text
  provisioner provisioner_type NOT NULL DEFAULT 'echo'::provisioner_type
  tags jsonb NOT NULL DEFAULT '{}'::jsonb
  created_by uuid
  created_at timestamp with time zone NOT NULL DEFAULT now()
  updated_at timestamp with time zone NOT NULL DEFAULT now()
  pushed_by text
TABLE templates
  id uuid NOT NULL DEFAULT gen_random_uuid()
  organization_id uuid NOT NULL
  name text NOT NULL
  display_name text NOT NULL DEFAULT ''::text
  active_version_id uuid
  deleted boolean NOT NULL DEFAULT false
  deprecated text NOT NULL DEFAULT ''::text
  provisioner provisioner_type NOT NULL DEFAULT 'echo'::provisioner_type
  default_ttl bigint NOT NULL DEFAULT 0
  activity_bump bigint NOT NULL DEFAULT 3600000
  allow_user_autostart boolean NOT NULL DEFAULT true
  allow_user_autostop boolean NOT NULL DEFAULT true
  autostop_requirement_days_of_week smallint NOT NULL DEFAULT 0
  autostop_requirement_weeks bigint NOT NULL DEFAULT 1
  autostart_block_days_of_week smallint NOT NULL DEFAULT 0
  require_active_version boolean NOT NULL DEFAULT false
  failure_ttl bigint NOT NULL DEFAULT 0
  time_til_dormant bigint NOT NULL DEFAULT 0
  time_til_dormant_autodelete bigint NOT NULL DEFAULT 0
  time_til_autostop_notify bigint NOT NULL DEFAULT 0
  created_at timestamp with time zone NOT NULL DEFAULT now()
  updated_at timestamp with time zone NOT NULL DEFAULT now()
TABLE users
  id uuid NOT NULL DEFAULT gen_random_uuid()
  username text NOT NULL
  email text NOT NULL DEFAULT ''::text
  status user_status NOT NULL DEFAULT 'active'::user_status
  is_system boolean NOT NULL DEFAULT false
  roles text[] NOT NULL DEFAULT '{}'::text[]
  quiet_hours_schedule text NOT NULL DEFAULT ''::text
  created_at timestamp with time zone NOT NULL DEFAULT now()
  updated_at timestamp with time zone NOT NULL DEFAULT now()
TABLE workspace_agents
  id uuid NOT NULL DEFAULT gen_random_uuid()
  created_at timestamp with time zone NOT NULL DEFAULT now()
  updated_at timestamp with time zone NOT NULL DEFAULT now()
  workspace_id uuid NOT NULL
  workspace_build_id uuid NOT NULL
  name text NOT NULL
  lifecycle_state workspace_agent_lifecycle_state NOT NULL DEFAULT 'created'::workspace_agent_lifecycle_state
  started_at timestamp with time zone
  ready_at timestamp with time zone
  deleted boolean NOT NULL DEFAULT false
TABLE workspace_build_parameters
  workspace_build_id uuid NOT NULL
  name text NOT NULL
  value text NOT NULL
TABLE workspace_builds
  id uuid NOT NULL DEFAULT gen_random_uuid()
  created_at timestamp with time zone NOT NULL DEFAULT now()
  updated_at timestamp with time zone NOT NULL DEFAULT now()
  workspace_id uuid NOT NULL
  template_version_id uuid NOT NULL
  build_number integer NOT NULL
  transition workspace_transition NOT NULL
  initiator_id uuid NOT NULL
  job_id uuid NOT NULL
  reason build_reason NOT NULL DEFAULT 'initiator'::build_reason
  deadline timestamp with time zone
  max_deadline timestamp with time zone
  notified_autostop_deadline timestamp with time zone
  template_version_preset_id uuid
TABLE workspace_lifecycle_job
  id uuid NOT NULL DEFAULT gen_random_uuid()
  created_at timestamp with time zone NOT NULL DEFAULT now()
  updated_at timestamp with time zone NOT NULL DEFAULT now()
  started_at timestamp with time zone
  cancelled_at timestamp with time zone
  completed_at timestamp with time zone
  error text
  workspace_id uuid NOT NULL
  operation workspace_lifecycle_operation NOT NULL
  reason build_reason NOT NULL
  deadline timestamp with time zone NOT NULL
  build_id uuid
  outcome text
TABLE workspace_lifecycle_job_logs
  id uuid NOT NULL DEFAULT gen_random_uuid()
  job_id uuid NOT NULL
  created_at timestamp with time zone NOT NULL DEFAULT now()
  level log_level NOT NULL
  output character varying(1024) NOT NULL
TABLE workspaces
  id uuid NOT NULL DEFAULT gen_random_uuid()
  created_at timestamp with time zone NOT NULL DEFAULT now()
  updated_at timestamp with time zone NOT NULL DEFAULT now()
  owner_id uuid NOT NULL
  organization_id uuid NOT NULL
  template_id uuid NOT NULL
  deleted boolean NOT NULL DEFAULT false
  name text NOT NULL
  autostart_schedule text
  next_start_at timestamp with time zone
  ttl bigint
  last_used_at timestamp with time zone NOT NULL DEFAULT now()
  dormant_at timestamp with time zone
  deleting_at timestamp with time zone
  automatic_updates automatic_updates NOT NULL DEFAULT 'never'::automatic_updates
  autostop_at timestamp with time zone
  failed_build_at timestamp with time zone
  latest_build_id uuid
  latest_build_transition workspace_transition
  latest_build_version_id uuid
  latest_build_status provisioner_job_status
  latest_build_completed_at timestamp with time zone
  current_preset_id uuid
  latest_agents_ready boolean NOT NULL DEFAULT false
  failed_deletes integer NOT NULL DEFAULT 0
CONSTRAINT api_tokens.api_tokens_name_check CHECK ((name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'::text))
CONSTRAINT api_tokens.api_tokens_pkey PRIMARY KEY (id)
CONSTRAINT api_tokens.api_tokens_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'template-admin'::text, 'client'::text, 'read'::text])))
CONSTRAINT api_tokens.api_tokens_token_hash_check CHECK ((token_hash ~ '^[0-9a-f]{64}$'::text))
CONSTRAINT api_tokens.api_tokens_token_hash_key UNIQUE (token_hash)
CONSTRAINT notification_messages.notification_messages_pkey PRIMARY KEY (id)
CONSTRAINT notification_messages.notification_messages_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id)
CONSTRAINT organizations.organizations_name_check CHECK ((name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'::text))
CONSTRAINT organizations.organizations_name_key UNIQUE (name)
CONSTRAINT organizations.organizations_pkey PRIMARY KEY (id)
CONSTRAINT prebuild_claim_attempts.prebuild_claim_attempts_outcome_check CHECK ((outcome = ANY (ARRAY['hit'::text, 'miss'::text])))
CONSTRAINT prebuild_claim_attempts.prebuild_claim_attempts_pkey PRIMARY KEY (id)
CONSTRAINT prebuild_claim_attempts.prebuild_claim_attempts_template_id_fkey FOREIGN KEY (template_id) REFERENCES templates(id) ON DELETE CASCADE
CONSTRAINT prebuild_delete_abandonments.prebuild_delete_abandonments_failed_deletes_check CHECK ((failed_deletes > 0))
CONSTRAINT prebuild_delete_abandonments.prebuild_delete_abandonments_pkey PRIMARY KEY (workspace_id)
CONSTRAINT prebuild_delete_abandonments.prebuild_delete_abandonments_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id) ON DELETE CASCADE
CONSTRAINT provisioner_daemons.provisioner_daemons_name_key UNIQUE (name)
CONSTRAINT provisioner_daemons.provisioner_daemons_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations(id)
CONSTRAINT provisioner_daemons.provisioner_daemons_pkey PRIMARY KEY (id)
CONSTRAINT provisioner_daemons.provisioner_daemons_tags_check CHECK ((jsonb_typeof(tags) = 'object'::text))
CONSTRAINT provisioner_job_logs.provisioner_job_logs_job_id_fkey FOREIGN KEY (job_id) REFERENCES provisioner_jobs(id) ON DELETE CASCADE
CONSTRAINT provisioner_job_logs.provisioner_job_logs_pkey PRIMARY KEY (id)
CONSTRAINT provisioner_jobs.provisioner_jobs_initiator_id_fkey FOREIGN KEY (initiator_id) REFERENCES users(id)
CONSTRAINT provisioner_jobs.provisioner_jobs_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations(id)
CONSTRAINT provisioner_jobs.provisioner_jobs_pkey PRIMARY KEY (id)
CONSTRAINT provisioner_jobs.provisioner_jobs_tags_check CHECK ((jsonb_typeof(tags) = 'object'::text))
CONSTRAINT schema_migrations.schema_migrations_pkey PRIMARY KEY (version)
CONSTRAINT settings.settings_pkey PRIMARY KEY (key)
CONSTRAINT template_version_preset_parameters.template_version_preset_paramet_template_version_preset_id_fkey FOREIGN KEY (template_version_preset_id) REFERENCES template_version_presets(id) ON DELETE CASCADE
CONSTRAINT template_version_preset_parameters.template_version_preset_parameters_name_key UNIQUE (template_version_preset_id, name)
CONSTRAINT template_version_preset_parameters.template_version_preset_parameters_pkey PRIMARY KEY (id)
CONSTRAINT template_version_preset_prebuild_schedules.template_version_preset_prebuild_schedu_desired_instances_check CHECK ((desired_instances >= 0))
CONSTRAINT template_version_preset_prebuild_schedules.template_version_preset_prebuild_schedules_pkey PRIMARY KEY (id)
CONSTRAINT template_version_preset_prebuild_schedules.template_version_preset_prebuild_schedules_position_key UNIQUE (preset_id, "position")
CONSTRAINT template_version_preset_prebuild_schedules.template_version_preset_prebuild_schedules_preset_id_fkey FOREIGN KEY (preset_id) REFERENCES template_version_presets(id) ON DELETE CASCADE
CONSTRAINT template_version_presets.template_version_presets_autoscaling_check CHECK (((autoscaling IS NULL) OR (jsonb_typeof(autoscaling) = 'object'::text)))
CONSTRAINT template_version_presets.template_version_presets_desired_instances_check CHECK ((desired_instances >= 0))
CONSTRAINT template_version_presets.template_version_presets_invalidate_after_secs_check CHECK ((invalidate_after_secs >= 0))
CONSTRAINT template_version_presets.template_version_presets_name_key UNIQUE (template_version_id, name)
CONSTRAINT template_version_presets.template_version_presets_pkey PRIMARY KEY (id)
CONSTRAINT template_version_presets.template_version_presets_template_version_id_fkey FOREIGN KEY (template_version_id) REFERENCES template_versions(id) ON DELETE CASCADE
CONSTRAINT template_versions.template_versions_created_by_fkey FOREIGN KEY (created_by) REFERENCES users(id)
CONSTRAINT template_versions.template_versions_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations(id)
CONSTRAINT template_versions.template_versions_pkey PRIMARY KEY (id)
CONSTRAINT template_versions.template_versions_tags_check CHECK ((jsonb_typeof(tags) = 'object'::text))
CONSTRAINT template_versions.template_versions_template_id_fkey FOREIGN KEY (template_id) REFERENCES templates(id)
CONSTRAINT template_versions.template_versions_template_id_name_key UNIQUE (template_id, name)
CONSTRAINT templates.templates_active_version_id_fkey FOREIGN KEY (active_version_id) REFERENCES template_versions(id)
CONSTRAINT templates.templates_activity_bump_check CHECK ((activity_bump >= 0))
CONSTRAINT templates.templates_autostart_block_days_of_week_check CHECK (((autostart_block_days_of_week >= 0) AND (autostart_block_days_of_week <= 127)))
CONSTRAINT templates.templates_autostop_requirement_days_of_week_check CHECK (((autostop_requirement_days_of_week >= 0) AND (autostop_requirement_days_of_week <= 127)))
CONSTRAINT templates.templates_autostop_requirement_weeks_check CHECK (((autostop_requirement_weeks >= 1) AND (autostop_requirement_weeks <= 16)))
CONSTRAINT templates.templates_default_ttl_check CHECK ((default_ttl >= 0))
CONSTRAINT templates.templates_failure_ttl_check CHECK ((failure_ttl >= 0))
CONSTRAINT templates.templates_name_check CHECK ((name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'::text))
CONSTRAINT templates.templates_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations(id)
CONSTRAINT templates.templates_pkey PRIMARY KEY (id)
CONSTRAINT templates.templates_time_til_autostop_notify_check CHECK ((time_til_autostop_notify >= 0))
CONSTRAINT templates.templates_time_til_dormant_autodelete_check CHECK ((time_til_dormant_autodelete >= 0))
CONSTRAINT templates.templates_time_til_dormant_check CHECK ((time_til_dormant >= 0))
CONSTRAINT users.users_pkey PRIMARY KEY (id)
CONSTRAINT users.users_username_check CHECK ((username ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'::text))
CONSTRAINT workspace_agents.workspace_agents_build_name_key UNIQUE (workspace_build_id, name)
CONSTRAINT workspace_agents.workspace_agents_name_check CHECK ((name ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'::text))
CONSTRAINT workspace_agents.workspace_agents_pkey PRIMARY KEY (id)
CONSTRAINT workspace_agents.workspace_agents_workspace_build_id_fkey FOREIGN KEY (workspace_build_id) REFERENCES workspace_builds(id) ON DELETE CASCADE
CONSTRAINT workspace_agents.workspace_agents_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id)
CONSTRAINT workspace_build_parameters.workspace_build_parameters_pkey PRIMARY KEY (workspace_build_id, name)
CONSTRAINT workspace_build_parameters.workspace_build_parameters_workspace_build_id_fkey FOREIGN KEY (workspace_build_id) REFERENCES workspace_builds(id) ON DELETE CASCADE
CONSTRAINT workspace_builds.workspace_builds_build_number_check CHECK ((build_number > 0))
CONSTRAINT workspace_builds.workspace_builds_deadline_within_max CHECK (((max_deadline IS NULL) OR (deadline IS NULL) OR (deadline <= max_deadline)))
CONSTRAINT workspace_builds.workspace_builds_initiator_id_fkey FOREIGN KEY (initiator_id) REFERENCES users(id)
CONSTRAINT workspace_builds.workspace_builds_job_id_fkey FOREIGN KEY (job_id) REFERENCES provisioner_jobs(id)
CONSTRAINT workspace_builds.workspace_builds_job_id_key UNIQUE (job_id)
CONSTRAINT workspace_builds.workspace_builds_pkey PRIMARY KEY (id)
CONSTRAINT workspace_builds.workspace_builds_template_version_id_fkey FOREIGN KEY (template_version_id) REFERENCES template_versions(id)
CONSTRAINT workspace_builds.workspace_builds_template_version_preset_id_fkey FOREIGN KEY (template_version_preset_id) REFERENCES template_version_presets(id) ON DELETE SET NULL
CONSTRAINT workspace_builds.workspace_builds_workspace_id_build_number_key UNIQUE (workspace_id, build_number)
CONSTRAINT workspace_builds.workspace_builds_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id)
CONSTRAINT workspace_lifecycle_job.workspace_lifecycle_job_build_id_fkey FOREIGN KEY (build_id) REFERENCES workspace_builds(id)
CONSTRAINT workspace_lifecycle_job.workspace_lifecycle_job_pkey PRIMARY KEY (id)
CONSTRAINT workspace_lifecycle_job.workspace_lifecycle_job_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id)
CONSTRAINT workspace_lifecycle_job_logs.workspace_lifecycle_job_logs_job_id_fkey FOREIGN KEY (job_id) REFERENCES workspace_lifecycle_job(id) ON DELETE CASCADE
CONSTRAINT workspace_lifecycle_job_logs.workspace_lifecycle_job_logs_pkey PRIMARY KEY (id)
CONSTRAINT workspaces.workspaces_name_check CHECK ((name ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'::text))
CONSTRAINT workspaces.workspaces_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations(id)
CONSTRAINT workspaces.workspaces_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users(id)
CONSTRAINT workspaces.workspaces_pkey PRIMARY KEY (id)
CONSTRAINT workspaces.workspaces_template_id_fkey FOREIGN KEY (template_id) REFERENCES templates(id)
CONSTRAINT workspaces.workspaces_ttl_check CHECK ((ttl > 0))
INDEX api_tokens_live_name CREATE UNIQUE INDEX api_tokens_live_name ON public.api_tokens (name) WHERE (revoked_at IS NULL)
INDEX api_tokens_pkey CREATE UNIQUE INDEX api_tokens_pkey ON public.api_tokens (id)
INDEX api_tokens_token_hash_key CREATE UNIQUE INDEX api_tokens_token_hash_key ON public.api_tokens (token_hash)
INDEX notification_messages_created_at CREATE INDEX notification_messages_created_at ON public.notification_messages (created_at)
INDEX notification_messages_dedupe_hash_idx CREATE UNIQUE INDEX notification_messages_dedupe_hash_idx ON public.notification_messages (dedupe_hash)
INDEX notification_messages_deliverable CREATE INDEX notification_messages_deliverable ON public.notification_messages (send_after) WHERE (status = ANY (ARRAY['pending'::notification_message_status, 'temporary_failure'::notification_message_status]))
INDEX notification_messages_expired_leases CREATE INDEX notification_messages_expired_leases ON public.notification_messages (leased_until) WHERE (status = 'leased'::notification_message_status)
INDEX notification_messages_pkey CREATE UNIQUE INDEX notification_messages_pkey ON public.notification_messages (id)
INDEX organizations_name_key CREATE UNIQUE INDEX organizations_name_key ON public.organizations (name)
INDEX organizations_pkey CREATE UNIQUE INDEX organizations_pkey ON public.organizations (id)
INDEX prebuild_claim_attempts_at CREATE INDEX prebuild_claim_attempts_at ON public.prebuild_claim_attempts (at) INCLUDE (template_id, preset_name, outcome)
INDEX prebuild_claim_attempts_pkey CREATE UNIQUE INDEX prebuild_claim_attempts_pkey ON public.prebuild_claim_attempts (id)
INDEX prebuild_claim_attempts_preset_at CREATE INDEX prebuild_claim_attempts_preset_at ON public.prebuild_claim_attempts (template_id, preset_name, at)
INDEX prebuild_delete_abandonments_pkey CREATE UNIQUE INDEX prebuild_delete_abandonments_pkey ON public.prebuild_delete_abandonments (workspace_id)
INDEX provisioner_daemons_name_key CREATE UNIQUE INDEX provisioner_daemons_name_key ON public.provisioner_daemons (name)
INDEX provisioner_daemons_pkey CREATE UNIQUE INDEX provisioner_daemons_pkey ON public.provisioner_daemons (id)
INDEX provisioner_job_logs_job_id CREATE INDEX provisioner_job_logs_job_id ON public.provisioner_job_logs (job_id, id)
INDEX provisioner_job_logs_pkey CREATE UNIQUE INDEX provisioner_job_logs_pkey ON public.provisioner_job_logs (id)
INDEX provisioner_jobs_outcome CREATE INDEX provisioner_jobs_outcome ON public.provisioner_jobs (id) INCLUDE (job_status, completed_at)
INDEX provisioner_jobs_pending CREATE INDEX provisioner_jobs_pending ON public.provisioner_jobs (((initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid)), created_at) WHERE ((started_at IS NULL) AND (completed_at IS NULL) AND (canceled_at IS NULL))
INDEX provisioner_jobs_pkey CREATE UNIQUE INDEX provisioner_jobs_pkey ON public.provisioner_jobs (id)
INDEX provisioner_jobs_unfinished CREATE INDEX provisioner_jobs_unfinished ON public.provisioner_jobs (updated_at) WHERE (completed_at IS NULL)
INDEX schema_migrations_pkey CREATE UNIQUE INDEX schema_migrations_pkey ON public.schema_migrations (version)
INDEX settings_pkey CREATE UNIQUE INDEX settings_pkey ON public.settings (key)
INDEX template_version_preset_parameters_name_key CREATE UNIQUE INDEX template_version_preset_parameters_name_key ON public.template_version_preset_parameters (template_version_preset_id, name)
INDEX template_version_preset_parameters_pkey CREATE UNIQUE INDEX template_version_preset_parameters_pkey ON public.template_version_preset_parameters (id)
INDEX template_version_preset_prebuild_schedules_pkey CREATE UNIQUE INDEX template_version_preset_prebuild_schedules_pkey ON public.template_version_preset_prebuild_schedules (id)
INDEX template_version_preset_prebuild_schedules_position_key CREATE UNIQUE INDEX template_version_preset_prebuild_schedules_position_key ON public.template_version_preset_prebuild_schedules (preset_id, "position")
INDEX template_version_presets_name_key CREATE UNIQUE INDEX template_version_presets_name_key ON public.template_version_presets (template_version_id, name)
INDEX template_version_presets_one_default CREATE UNIQUE INDEX template_version_presets_one_default ON public.template_version_presets (template_version_id) WHERE is_default
INDEX template_version_presets_pkey CREATE UNIQUE INDEX template_version_presets_pkey ON public.template_version_presets (id)
INDEX template_version_presets_prebuilds CREATE INDEX template_version_presets_prebuilds ON public.template_version_presets (template_version_id) WHERE (desired_instances IS NOT NULL)
INDEX template_versions_pkey CREATE UNIQUE INDEX template_versions_pkey ON public.template_versions (id)
INDEX template_versions_template_id_name_key CREATE UNIQUE INDEX template_versions_template_id_name_key ON public.template_versions (template_id, name)
INDEX templates_organization_id_name_key CREATE UNIQUE INDEX templates_organization_id_name_key ON public.templates (organization_id, name) WHERE (NOT deleted)
INDEX templates_pkey CREATE UNIQUE INDEX templates_pkey ON public.templates (id)
INDEX users_pkey CREATE UNIQUE INDEX users_pkey ON public.users (id)
INDEX users_suspended CREATE INDEX users_suspended ON public.users (id) WHERE (status = 'suspended'::user_status)
INDEX users_username_key CREATE UNIQUE INDEX users_username_key ON public.users (lower(username))
INDEX workspace_agents_build_name_key CREATE UNIQUE INDEX workspace_agents_build_name_key ON public.workspace_agents (workspace_build_id, name)
INDEX workspace_agents_build_state CREATE INDEX workspace_agents_build_state ON public.workspace_agents (workspace_build_id) INCLUDE (lifecycle_state) WHERE (NOT deleted)
INDEX workspace_agents_pkey CREATE UNIQUE INDEX workspace_agents_pkey ON public.workspace_agents (id)
INDEX workspace_agents_workspace_id CREATE INDEX workspace_agents_workspace_id ON public.workspace_agents (workspace_id)
INDEX workspace_build_parameters_pkey CREATE UNIQUE INDEX workspace_build_parameters_pkey ON public.workspace_build_parameters (workspace_build_id, name)
INDEX workspace_builds_job_id_key CREATE UNIQUE INDEX workspace_builds_job_id_key ON public.workspace_builds (job_id)
INDEX workspace_builds_latest CREATE INDEX workspace_builds_latest ON public.workspace_builds (workspace_id, build_number DESC) INCLUDE (id, job_id, transition, template_version_id, template_version_preset_id)
INDEX workspace_builds_pkey CREATE UNIQUE INDEX workspace_builds_pkey ON public.workspace_builds (id)
INDEX workspace_builds_prebuild_creations CREATE INDEX workspace_builds_prebuild_creations ON public.workspace_builds (template_version_preset_id, created_at DESC) WHERE ((initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid) AND (build_number = 1))
INDEX workspace_builds_preset_per_workspace CREATE INDEX workspace_builds_preset_per_workspace ON public.workspace_builds (workspace_id, build_number DESC) WHERE (template_version_preset_id IS NOT NULL)
INDEX workspace_builds_workspace_id_build_number_key CREATE UNIQUE INDEX workspace_builds_workspace_id_build_number_key ON public.workspace_builds (workspace_id, build_number)
INDEX workspace_lifecycle_job_due CREATE INDEX workspace_lifecycle_job_due ON public.workspace_lifecycle_job (deadline) WHERE ((started_at IS NULL) AND (completed_at IS NULL) AND (cancelled_at IS NULL))
INDEX workspace_lifecycle_job_open CREATE UNIQUE INDEX workspace_lifecycle_job_open ON public.workspace_lifecycle_job (workspace_id) WHERE ((completed_at IS NULL) AND (cancelled_at IS NULL))
INDEX workspace_lifecycle_job_pkey CREATE UNIQUE INDEX workspace_lifecycle_job_pkey ON public.workspace_lifecycle_job (id)
INDEX workspace_lifecycle_job_running CREATE INDEX workspace_lifecycle_job_running ON public.workspace_lifecycle_job (started_at) WHERE ((started_at IS NOT NULL) AND (completed_at IS NULL) AND (cancelled_at IS NULL))
INDEX workspace_lifecycle_job_logs_job_id CREATE INDEX workspace_lifecycle_job_logs_job_id ON public.workspace_lifecycle_job_logs (job_id, created_at)
INDEX workspace_lifecycle_job_logs_pkey CREATE UNIQUE INDEX workspace_lifecycle_job_logs_pkey ON public.workspace_lifecycle_job_logs (id)
INDEX workspaces_autostart_unscheduled CREATE INDEX workspaces_autostart_unscheduled ON public.workspaces (id) WHERE ((NOT deleted) AND (autostart_schedule IS NOT NULL) AND (next_start_at IS NULL) AND (dormant_at IS NULL) AND (owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid))
INDEX workspaces_autostop_at CREATE INDEX workspaces_autostop_at ON public.workspaces (autostop_at) WHERE ((NOT deleted) AND (autostop_at IS NOT NULL) AND (owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid))
INDEX workspaces_claimable CREATE INDEX workspaces_claimable ON public.workspaces (current_preset_id, created_at) WHERE ((owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid) AND (NOT deleted) AND (deleting_at IS NULL) AND (latest_build_transition = 'start'::workspace_transition) AND (latest_build_status = 'succeeded'::provisioner_job_status) AND latest_agents_ready)
INDEX workspaces_deleting_at CREATE INDEX workspaces_deleting_at ON public.workspaces (deleting_at) WHERE ((NOT deleted) AND (deleting_at IS NOT NULL))
INDEX workspaces_dormancy_by_template CREATE INDEX workspaces_dormancy_by_template ON public.workspaces (template_id, last_used_at) WHERE ((NOT deleted) AND (dormant_at IS NULL) AND (owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid))
INDEX workspaces_failed_build_at CREATE INDEX workspaces_failed_build_at ON public.workspaces (failed_build_at) WHERE ((NOT deleted) AND (failed_build_at IS NOT NULL) AND (owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid))
INDEX workspaces_next_start_at CREATE INDEX workspaces_next_start_at ON public.workspaces (next_start_at) WHERE ((NOT deleted) AND (next_start_at IS NOT NULL) AND (owner_id <> 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid))
INDEX workspaces_owner_id_name_key CREATE UNIQUE INDEX workspaces_owner_id_name_key ON public.workspaces (owner_id, lower(name)) WHERE (NOT deleted)
INDEX workspaces_pkey CREATE UNIQUE INDEX workspaces_pkey ON public.workspaces (id)
INDEX workspaces_prebuilds CREATE INDEX workspaces_prebuilds ON public.workspaces (template_id, created_at) INCLUDE (id, name, latest_build_transition, latest_build_version_id, latest_build_status, latest_build_completed_at, current_preset_id, latest_agents_ready, failed_deletes) WHERE ((owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid) AND (NOT deleted))
INDEX workspaces_template_id CREATE INDEX workspaces_template_id ON public.workspaces (template_id) WHERE (NOT deleted)
VIEW workspace_latest_builds AS SELECT id, id AS workspace_id, template_version_id, job_id, template_version_preset_id, transition, created_at, job_status, build_number, initiator_id, reason, deadline, max_deadline, notified_autostop_deadline, updated_at, started_at AS job_started_at, completed_at AS job_completed_at, canceled_at AS job_canceled_at, error AS job_error FROM workspaces w CROSS JOIN LATERAL ( SELECT id, created_at, updated_at, workspace_id, template_version_id, build_number, transition, initiator_id, job_id, reason, deadline, max_deadline, notified_autostop_deadline, template_version_preset_id FROM workspace_builds wb WHERE workspace_id = id ORDER BY build_number DESC LIMIT 1) b JOIN provisioner_jobs pj ON id = job_id WHERE NOT deleted;
VIEW workspace_lifecycle_states AS SELECT id AS workspace_id, name AS workspace_name, owner_id, organization_id, template_id, autostart_schedule, next_start_at, ttl, last_used_at, dormant_at, deleting_at, automatic_updates, username AS owner_username, status AS owner_status, quiet_hours_schedule AS owner_quiet_hours_schedule, name AS template_name, active_version_id, require_active_version, allow_user_autostart, allow_user_autostop, default_ttl, activity_bump, autostop_requirement_days_of_week, autostop_requirement_weeks, autostart_block_days_of_week, failure_ttl, time_til_dormant, time_til_dormant_autodelete, time_til_autostop_notify, id AS build_id, build_number, transition, created_at AS build_created_at, template_version_id AS build_template_version_id, reason AS build_reason, deadline, max_deadline, notified_autostop_deadline, job_id, job_status, completed_at AS job_completed_at, canceled_at AS job_canceled_at, error AS job_error, id AS lifecycle_job_id, operation AS lifecycle_job_operation, reason AS lifecycle_job_reason, deadline AS lifecycle_job_deadline, started_at AS lifecycle_job_started_at FROM workspaces w JOIN users u ON id = owner_id JOIN templates t ON id = template_id CROSS JOIN LATERAL ( SELECT id, created_at, updated_at, workspace_id, template_version_id, build_number, transition, initiator_id, job_id, reason, deadline, max_deadline, notified_autostop_deadline, template_version_preset_id FROM workspace_builds wb WHERE workspace_id = id ORDER BY build_number DESC LIMIT 1) b JOIN provisioner_jobs pj ON id = job_id LEFT JOIN workspace_lifecycle_job lj ON workspace_id = id AND completed_at IS NULL AND cancelled_at IS NULL WHERE NOT deleted;
VIEW workspace_prebuild_builds AS SELECT id, workspace_id, template_version_id, transition, job_id, template_version_preset_id, build_number, reason, created_at FROM workspace_builds WHERE initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid;
VIEW workspace_prebuilds AS SELECT id, name, template_id, created_at, COALESCE(( SELECT bool_and(lifecycle_state = 'ready'::workspace_agent_lifecycle_state) AS bool_and FROM workspace_agents a WHERE NOT deleted AND workspace_build_id = (( SELECT id FROM ( SELECT id, transition, job_id FROM workspace_builds b WHERE workspace_id = id ORDER BY build_number DESC LIMIT 1) lb JOIN provisioner_jobs lj ON id = job_id WHERE transition = 'start'::workspace_transition AND job_status = 'succeeded'::provisioner_job_status))), false) AS ready, ( SELECT template_version_preset_id FROM workspace_builds pb WHERE workspace_id = id AND template_version_preset_id IS NOT NULL ORDER BY build_number DESC LIMIT 1) AS current_preset_id FROM workspaces w WHERE owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid AND NOT deleted;
FUNCTION compute_notification_message_dedupe_hash CREATE OR REPLACE FUNCTION public.compute_notification_message_dedupe_hash() RETURNS trigger LANGUAGE plpgsql AS $function$ BEGIN NEW.dedupe_hash := md5(concat_ws(':', NEW.template, COALESCE(NEW.user_id::text, ''), NEW.method, NEW.payload::text, array_to_string(NEW.targets, ','), date_trunc('day', NEW.created_at AT TIME ZONE 'UTC')::text)); RETURN NEW; END; $function$
FUNCTION provisioner_jobs_build_cache CREATE OR REPLACE FUNCTION public.provisioner_jobs_build_cache() RETURNS trigger LANGUAGE plpgsql AS $function$ BEGIN PERFORM refresh_workspace_build_cache(b.workspace_id) FROM workspace_builds b WHERE b.job_id = NEW.id; RETURN NULL; END; $function$
FUNCTION refresh_workspace_build_cache CREATE OR REPLACE FUNCTION public.refresh_workspace_build_cache(target uuid) RETURNS void LANGUAGE plpgsql AS $function$ BEGIN -- Lock first, read after (see the header): the UPDATE below takes a new snapshot. PERFORM 1 FROM workspaces WHERE id = target FOR UPDATE; UPDATE workspaces w SET autostop_at = c.autostop_at, failed_build_at = c.failed_build_at, latest_build_id = c.build_id, latest_build_transition = c.transition, latest_build_version_id = c.template_version_id, latest_build_status = c.status, latest_build_completed_at = c.completed_at, current_preset_id = c.preset_id, latest_agents_ready = c.agents_ready, failed_deletes = c.failed_deletes FROM ( SELECT CASE WHEN b.transition = 'start' THEN COALESCE(b.deadline, b.max_deadline) END AS autostop_at, CASE WHEN j.job_status = 'failed' THEN j.completed_at END AS failed_build_at, b.id AS build_id, b.transition, b.template_version_id, CASE WHEN j.job_status NOT IN ('pending', 'running') THEN j.job_status END AS status, j.completed_at, COALESCE(b.template_version_preset_id, ( SELECT pb.template_version_preset_id FROM workspace_builds pb WHERE pb.workspace_id = target AND pb.template_version_preset_id IS NOT NULL ORDER BY pb.build_number DESC LIMIT 1 )) AS preset_id, COALESCE(( SELECT bool_and(a.lifecycle_state = 'ready') FROM workspace_agents a WHERE a.workspace_build_id = b.id AND NOT a.deleted ), false) AS agents_ready, CASE WHEN b.transition = 'delete' AND j.job_status = 'failed' THEN ( SELECT count(*)::int FROM workspace_builds fb JOIN provisioner_jobs fj ON fj.id = fb.job_id WHERE fb.workspace_id = target AND fb.transition = 'delete' AND fj.job_status = 'failed' AND fb.build_number > COALESCE(( SELECT max(ob.build_number) FROM workspace_builds ob JOIN provisioner_jobs oj ON oj.id = ob.job_id WHERE ob.workspace_id = target AND NOT (ob.transition = 'delete' AND oj.job_status = 'failed') ), 0) ) ELSE 0 END AS failed_deletes FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id WHERE b.workspace_id = target ORDER BY b.build_number DESC LIMIT 1 ) c WHERE w.id = target -- Only write when something changed. AND (w.autostop_at, w.failed_build_at, w.latest_build_id, w.latest_build_transition, w.latest_build_version_id, w.latest_build_status, w.latest_build_completed_at, w.current_preset_id, w.latest_agents_ready, w.failed_deletes) IS DISTINCT FROM (c.autostop_at, c.failed_build_at, c.build_id, c.transition, c.template_version_id, c.status, c.completed_at, c.preset_id, c.agents_ready, c.failed_deletes); END; $function$
FUNCTION workspace_agents_build_cache CREATE OR REPLACE FUNCTION public.workspace_agents_build_cache() RETURNS trigger LANGUAGE plpgsql AS $function$ BEGIN IF TG_OP <> 'INSERT' THEN PERFORM refresh_workspace_build_cache(OLD.workspace_id); END IF; IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.workspace_id <> OLD.workspace_id) THEN PERFORM refresh_workspace_build_cache(NEW.workspace_id); END IF; RETURN NULL; END; $function$
FUNCTION workspace_builds_build_cache CREATE OR REPLACE FUNCTION public.workspace_builds_build_cache() RETURNS trigger LANGUAGE plpgsql AS $function$ BEGIN PERFORM refresh_workspace_build_cache(NEW.workspace_id); RETURN NULL; END; $function$
TRIGGER notification_messages.notification_messages_dedupe_hash CREATE TRIGGER notification_messages_dedupe_hash BEFORE INSERT ON public.notification_messages FOR EACH ROW EXECUTE FUNCTION compute_notification_message_dedupe_hash()
TRIGGER provisioner_jobs.provisioner_jobs_build_cache CREATE TRIGGER provisioner_jobs_build_cache AFTER UPDATE OF completed_at, canceled_at, error ON public.provisioner_jobs FOR EACH ROW WHEN (((old.completed_at IS DISTINCT FROM new.completed_at) OR (old.canceled_at IS DISTINCT FROM new.canceled_at) OR (old.error IS DISTINCT FROM new.error))) EXECUTE FUNCTION provisioner_jobs_build_cache()
TRIGGER workspace_agents.workspace_agents_build_cache CREATE TRIGGER workspace_agents_build_cache AFTER INSERT OR DELETE OR UPDATE OF lifecycle_state, deleted, workspace_build_id, workspace_id ON public.workspace_agents FOR EACH ROW EXECUTE FUNCTION workspace_agents_build_cache()
TRIGGER workspace_builds.workspace_builds_build_cache CREATE TRIGGER workspace_builds_build_cache AFTER INSERT OR UPDATE OF deadline, max_deadline, transition, job_id, template_version_id, template_version_preset_id ON public.workspace_builds FOR EACH ROW EXECUTE FUNCTION workspace_builds_build_cache()
