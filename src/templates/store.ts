import { z } from 'zod';

import { defineQuery, type Db } from '../db/sql-files.js';

/** Typed handles on sql/templates/*.sql. */

const Id = z.object({ id: z.string() });

export const findOrganization = defineQuery<{ name: string }, typeof Id>(
  'TemplatePushFindOrganization',
  Id,
);
export const insertOrganization = defineQuery<{ name: string }, typeof Id>(
  'TemplatePushInsertOrganization',
  Id,
);

export const ExistingTemplate = z.object({
  id: z.string(),
  active_version_id: z.string().nullable(),
  active_version_name: z.string().nullable(),
  active_content_hash: z.string().nullable(),
  active_config: z.unknown(),
  active_created_at: z.date().nullable(),
  next_version_number: z.number(),
});
export const findTemplate = defineQuery<
  { organization_id: string; name: string },
  typeof ExistingTemplate
>('TemplatePushFindTemplate', ExistingTemplate);

export const insertTemplate = defineQuery<
  { organization_id: string; name: string; provisioner: string },
  typeof Id
>('TemplatePushInsertTemplate', Id);

export const VersionRow = z.object({
  id: z.string(),
  name: z.string(),
  content_hash: z.string(),
  created_at: z.date(),
});
export const insertVersion = defineQuery<
  {
    template_id: string;
    organization_id: string;
    name: string;
    config: Record<string, unknown>;
    content_hash: string;
    provisioner: string;
    tags: Record<string, string>;
  },
  typeof VersionRow
>('TemplatePushInsertVersion', VersionRow);

const Nothing = z.object({});
/** JSON arrays of rows are passed as text: the driver would send a JS array as a SQL array. */
export const insertPresets = defineQuery<{ version_id: string; presets: string }, typeof Nothing>(
  'TemplatePushInsertPresets',
  Nothing,
);
export const insertParameters = defineQuery<
  { version_id: string; parameters: string },
  typeof Nothing
>('TemplatePushInsertParameters', Nothing);
export const insertSchedules = defineQuery<
  { version_id: string; schedules: string },
  typeof Nothing
>('TemplatePushInsertSchedules', Nothing);

const ActivatedRow = z.object({
  id: z.string(),
  name: z.string(),
  active_version_id: z.string(),
  created_at: z.date(),
  updated_at: z.date(),
});
export const activateVersion = defineQuery<
  {
    template_id: string;
    version_id: string;
    display_name: string;
    deprecated: string;
    provisioner: string;
    default_ttl: number;
    activity_bump: number;
    allow_user_autostart: boolean;
    allow_user_autostop: boolean;
    autostop_requirement_days_of_week: number;
    autostop_requirement_weeks: number;
    autostart_block_days_of_week: number;
    require_active_version: boolean;
    failure_ttl: number;
    time_til_dormant: number;
    time_til_dormant_autodelete: number;
    time_til_autostop_notify: number;
  },
  typeof ActivatedRow
>('TemplatePushActivate', ActivatedRow);

export const notify = defineQuery<{ channel: string; payload: string }, typeof Nothing>(
  'TemplatePushNotify',
  Nothing,
);

const ListedPreset = z.object({
  id: z.string(),
  name: z.string(),
  default: z.boolean(),
  desired_instances: z.number().nullable(),
  invalidate_after_secs: z.number().nullable(),
  scheduling_timezone: z.string(),
  prebuild_status: z.string(),
  parameters: z.record(z.string()),
  schedules: z.array(z.object({ cron: z.string(), instances: z.number() })),
});
export type ListedPreset = z.infer<typeof ListedPreset>;

export const ListedTemplate = z.object({
  id: z.string(),
  organization: z.string(),
  name: z.string(),
  display_name: z.string(),
  deprecated: z.string(),
  provisioner: z.string(),
  default_ttl: z.number(),
  activity_bump: z.number(),
  allow_user_autostart: z.boolean(),
  allow_user_autostop: z.boolean(),
  autostop_requirement_days_of_week: z.number(),
  autostop_requirement_weeks: z.number(),
  autostart_block_days_of_week: z.number(),
  require_active_version: z.boolean(),
  failure_ttl: z.number(),
  time_til_dormant: z.number(),
  time_til_dormant_autodelete: z.number(),
  time_til_autostop_notify: z.number(),
  created_at: z.date(),
  updated_at: z.date(),
  version_id: z.string().nullable(),
  version_name: z.string().nullable(),
  content_hash: z.string().nullable(),
  version_tags: z.record(z.string()).nullable(),
  version_created_at: z.date().nullable(),
  presets: z.array(ListedPreset),
});
export type ListedTemplate = z.infer<typeof ListedTemplate>;
/** Rows are checked one by one (list.ts): one unreadable template must not hide the others. */
const AnyRow = z.record(z.unknown());
export const listTemplateRows = defineQuery<Record<string, never>, typeof AnyRow>(
  'TemplateList',
  AnyRow,
);

export type { Db };
