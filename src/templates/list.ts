import type { DatabasePool } from 'slonik';

import { UnsafeInteger } from '../db/pool.js';

import { evaluateDesired, nextChange } from '../domain/schedule/evaluate.js';
import type { PrebuildScheduleConfig } from '../domain/schedule/types.js';
import { type Weekday, WEEKDAYS } from './config-schema.js';
import { type ListedPreset, ListedTemplate, listTemplateRows } from './store.js';

export interface PresetSummary {
  readonly id: string;
  readonly name: string;
  readonly default: boolean;
  readonly parameters: Record<string, string>;
  readonly prebuild_status: string;
  /** null = the preset has no prebuilds. */
  readonly prebuilds: {
    readonly instances: number;
    readonly expiration_policy: { readonly ttl: number };
    readonly scheduling: {
      readonly timezone: string;
      readonly schedule: readonly { cron: string; instances: number }[];
    } | null;
    /** The scheduled pool size now, and when and to what it changes next. */
    readonly desired_now: number;
    readonly next_change: { readonly at: Date; readonly desired: number } | null;
    readonly schedule_error?: string;
  } | null;
}

export interface TemplateSummary {
  readonly id: string;
  readonly organization: string;
  readonly name: string;
  readonly display_name: string;
  readonly deprecated: string;
  readonly provisioner: string;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly lifecycle: Record<string, unknown>;
  readonly active_version: {
    readonly id: string;
    readonly name: string;
    readonly content_hash: string;
    readonly tags: Record<string, string>;
    readonly created_at: Date;
  } | null;
  readonly presets: readonly PresetSummary[];
}

function days(bitmap: number): Weekday[] {
  return WEEKDAYS.filter((_, bit) => (bitmap & (1 << bit)) !== 0);
}

function presetSummary(preset: ListedPreset, now: Date): PresetSummary {
  const base = {
    id: preset.id,
    name: preset.name,
    default: preset.default,
    parameters: preset.parameters,
    prebuild_status: preset.prebuild_status,
  };
  if (preset.desired_instances === null) return { ...base, prebuilds: null };
  const config: PrebuildScheduleConfig = {
    instances: preset.desired_instances,
    timezone: preset.scheduling_timezone,
    schedules: preset.schedules,
  };
  const current = evaluateDesired(config, now);
  return {
    ...base,
    prebuilds: {
      instances: preset.desired_instances,
      expiration_policy: { ttl: preset.invalidate_after_secs ?? 0 },
      scheduling:
        preset.schedules.length > 0
          ? { timezone: preset.scheduling_timezone, schedule: preset.schedules }
          : null,
      desired_now: current.desired,
      next_change: nextChange(config, now),
      ...(current.error !== undefined && { schedule_error: current.error }),
    },
  };
}

function summary(row: ListedTemplate, now: Date): TemplateSummary {
  return {
    id: row.id,
    organization: row.organization,
    name: row.name,
    display_name: row.display_name,
    deprecated: row.deprecated,
    provisioner: row.provisioner,
    created_at: row.created_at,
    updated_at: row.updated_at,
    lifecycle: {
      default_ttl_ms: row.default_ttl,
      activity_bump_ms: row.activity_bump,
      autostop_requirement: {
        days_of_week: days(row.autostop_requirement_days_of_week),
        weeks: row.autostop_requirement_weeks,
      },
      autostart_allowed_days: days(0b111_1111 & ~row.autostart_block_days_of_week),
      allow_user_autostart: row.allow_user_autostart,
      allow_user_autostop: row.allow_user_autostop,
      require_active_version: row.require_active_version,
      failure_ttl_ms: row.failure_ttl,
      time_til_dormant_ms: row.time_til_dormant,
      time_til_dormant_autodelete_ms: row.time_til_dormant_autodelete,
      time_til_autostop_notify_ms: row.time_til_autostop_notify,
    },
    active_version:
      row.version_id && row.version_name && row.version_created_at
        ? {
            id: row.version_id,
            name: row.version_name,
            content_hash: row.content_hash ?? '',
            tags: row.version_tags ?? {},
            created_at: row.version_created_at,
          }
        : null,
    presets: row.presets.map((preset) => presetSummary(preset, now)),
  };
}

/** A stored template that cannot be read (a value out of range, written by hand or an old version). */
export interface UnreadableTemplate {
  readonly id: string;
  readonly name: string;
  readonly error: string;
}

export interface TemplateListing {
  readonly templates: TemplateSummary[];
  readonly unreadable: UnreadableTemplate[];
}

/** Why a row does not read as a template: each bad column with what is wrong. */
function rowProblems(
  row: Record<string, unknown>,
  issues: readonly { path: PropertyKey[]; message: string }[],
) {
  const problems = issues.map((issue) => {
    const column = String(issue.path[0] ?? 'row');
    const value = row[column];
    return value instanceof UnsafeInteger
      ? `${column}: stored value ${value.text} is beyond the range this version reads (2^53)`
      : `${issue.path.join('.') || 'row'}: ${issue.message}`;
  });
  return [...new Set(problems)].join('; ');
}

/**
 * Every live template with its active version and presets; `now` dates the schedule status. Rows
 * are read one by one: a template whose stored row cannot be read is left out and named in
 * `unreadable`, and the others are listed as usual.
 */
export async function listTemplates(db: DatabasePool, now: Date): Promise<TemplateListing> {
  const rows = await listTemplateRows.any(db, {});
  const templates: TemplateSummary[] = [];
  const unreadable: UnreadableTemplate[] = [];
  for (const row of rows) {
    const parsed = ListedTemplate.safeParse(row);
    if (parsed.success) {
      templates.push(summary(parsed.data, now));
    } else {
      unreadable.push({
        id: String(row.id),
        name: String(row.name),
        error: rowProblems(row, parsed.error.issues),
      });
    }
  }
  return { templates, unreadable };
}
