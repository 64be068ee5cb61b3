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
import { WEEKDAYS } from './config-schema.js';

const weekdays = arrayOf(enumOf(WEEKDAYS));

const presetSummary = object({
  id: uuid,
  name: string,
  default: boolean,
  parameters: stringMap(),
  prebuild_status: enumOf(['healthy', 'hard_limited', 'validation_failed']),
  prebuilds: nullable(
    object(
      {
        instances: integer,
        expiration_policy: object({ ttl: describe(integer, 'seconds; 0 = never') }),
        scheduling: nullable(
          object({
            timezone: string,
            schedule: arrayOf(object({ cron: string, instances: integer })),
          }),
        ),
        desired_now: describe(integer, 'the scheduled pool size now'),
        next_change: nullable(object({ at: dateTime, desired: integer })),
        schedule_error: describe(string, 'the stored schedule cannot be evaluated'),
      },
      { optional: ['schedule_error'], description: 'null = the preset has no prebuilds' },
    ),
  ),
});

export const TemplateSummary = object({
  id: uuid,
  organization: string,
  name: string,
  display_name: string,
  deprecated: describe(string, 'non-empty = deprecated, with the reason'),
  provisioner: string,
  created_at: dateTime,
  updated_at: dateTime,
  lifecycle: object({
    default_ttl_ms: integer,
    activity_bump_ms: integer,
    autostop_requirement: object({ days_of_week: weekdays, weeks: integer }),
    autostart_allowed_days: weekdays,
    allow_user_autostart: boolean,
    allow_user_autostop: boolean,
    require_active_version: boolean,
    failure_ttl_ms: integer,
    time_til_dormant_ms: integer,
    time_til_dormant_autodelete_ms: integer,
    time_til_autostop_notify_ms: integer,
  }),
  active_version: nullable(
    object({
      id: uuid,
      name: string,
      content_hash: string,
      tags: stringMap(),
      created_at: dateTime,
    }),
  ),
  presets: arrayOf(presetSummary),
});

export const TemplateList = object({
  templates: arrayOf(TemplateSummary),
  unreadable: arrayOf(
    object({ id: string, name: string, error: string }),
    'templates left out because their stored row cannot be read (a value out of range); empty normally',
  ),
});

export const PushResult = object({
  template: object({ id: uuid, name: string, organization: string, active_version_id: uuid }),
  version: object({ id: uuid, name: string, content_hash: string, created_at: dateTime }),
  changed: describe(boolean, 'false: the content equals the active version, nothing was written'),
});

export const PushPlan = object({
  plan: object({
    action: enumOf(['create', 'update', 'unchanged']),
    organization: string,
    organizationExists: boolean,
    template: string,
    version: describe(string, 'the version a push would create, or the active one when unchanged'),
    content_hash: string,
    changes: arrayOf(string, 'what differs from the active version, one line each'),
  }),
});
