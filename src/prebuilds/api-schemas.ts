import {
  arrayOf,
  boolean,
  dateTime,
  describe,
  enumOf,
  integer,
  nullable,
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

export const Paused = object({ paused: boolean });
