import {
  arrayOf,
  boolean,
  dateTime,
  describe,
  enumOf,
  integer,
  nullable,
  number,
  object,
  string,
  stringMap,
  uuid,
} from '../http/schema.js';

const PREBUILD_STATUSES = ['healthy', 'hard_limited', 'validation_failed'] as const;

const blocked = describe(
  nullable(string),
  'why no prebuild is created although some are missing (backoff, hard limit, ...), or null',
);

const TARGET_SOURCES = [
  'scheduled',
  'expression',
  'expression_fallback',
  'forecast',
  'forecast_fallback',
] as const;

/** How `desired` was decided (see docs/autoscaling.md). */
const target = {
  scheduled_target: describe(integer, 'the instances/schedule result'),
  target_source: enumOf(
    TARGET_SOURCES,
    'what decided `desired`: the schedule, an autoscaling expression or forecast, or the scheduled target after a policy failed (`*_fallback`)',
  ),
  target_error: describe(
    nullable(string),
    'why the autoscaling policy fell back to the scheduled target, else null',
  ),
  forecast: nullable(
    object(
      {
        claim_rate_per_minute: describe(number, 'lambda: claim attempts per minute sized for'),
        lead_time_s: describe(number, 'L: creation job start to eligible, seconds'),
        lead_time_source: enumOf(['configured', 'measured', 'default']),
        expected_hit_rate: describe(number, '1 - ErlangB(desired, lambda * L)'),
      },
      { description: "a forecast policy's figures; null for other sources" },
    ),
  ),
};

const identity = {
  id: uuid,
  template: string,
  preset: string,
  organization: string,
  template_version: string,
  active_version: describe(boolean, "the preset belongs to its template's active version"),
};

const presetStatus = object({
  ...identity,
  active: describe(boolean, 'the reconciler keeps a pool for this preset'),
  inactive_reason: describe(nullable(string), 'why the preset gets no prebuilds'),
  desired: integer,
  ...target,
  running: integer,
  ready: describe(integer, 'eligible for claims'),
  valid: integer,
  starting: integer,
  stopping: integer,
  deleting: integer,
  expired: integer,
  extraneous: integer,
  missing: integer,
  stopped_or_failed: integer,
  failed_deletes: describe(
    arrayOf(
      object({
        workspace_id: string,
        workspace: string,
        failures: describe(integer, 'consecutive failed deletes'),
        last_failure_at: dateTime,
        retry_at: describe(
          nullable(dateTime),
          'when the delete is retried (after the backoff); null: the retry limit was reached, no more retries',
        ),
      }),
    ),
    'prebuilds whose delete failed and is not retried now',
  ),
  pending_to_cancel: integer,
  backoff_until: nullable(dateTime),
  recent_failures: integer,
  status: enumOf(PREBUILD_STATUSES),
  stored_status: enumOf(PREBUILD_STATUSES),
  creation_blocked: blocked,
  ttl_secs: nullable(integer),
  last_invalidated_at: nullable(dateTime),
  schedule: object({
    current: describe(nullable(string), 'the cron in force; null = `instances` applies'),
    index: nullable(integer),
    instances: nullable(integer),
    timezone: nullable(string),
    error: nullable(string),
    next_change_at: nullable(dateTime),
    next_desired: nullable(integer),
  }),
});

export const PresetsStatus = object({
  at: dateTime,
  paused: boolean,
  pause_changed_by: describe(
    nullable(string),
    'who paused or resumed last: the API token name or `cli:<user>`; null = never recorded',
  ),
  pause_changed_at: nullable(dateTime),
  presets: arrayOf(presetStatus),
});

const action = {
  oneOf: [
    object({ type: enumOf(['create', 'cancel_pending']), count: integer, reason: string }),
    object({
      type: enumOf(['delete']),
      count: integer,
      workspace_ids: arrayOf(uuid),
      reasons: stringMap('why each workspace is deleted, by id'),
      reason: string,
    }),
    object({ type: enumOf(['backoff']), until: dateTime, reason: string }),
  ],
};

export const PresetsPlan = object({
  at: dateTime,
  paused: boolean,
  presets: arrayOf(
    object({
      ...identity,
      desired: integer,
      ...target,
      status: enumOf(PREBUILD_STATUSES),
      status_change: nullable(
        object({ from: enumOf(PREBUILD_STATUSES), to: enumOf(PREBUILD_STATUSES) }),
      ),
      creation_blocked: blocked,
      actions: arrayOf(action),
    }),
  ),
});

export const PresetChanged = object({
  preset: object({
    id: uuid,
    template: string,
    preset: string,
    organization: string,
    template_version: string,
    status: enumOf(PREBUILD_STATUSES),
    last_invalidated_at: nullable(dateTime),
    failure_limit_reset_at: nullable(dateTime),
  }),
});

export const Paused = object({
  paused: boolean,
  changed_by: describe(string, 'the API token name that paused or resumed'),
});
