import { createHash } from 'node:crypto';

import { parseDuration } from '../util/duration.js';
import type { AutoscalingConfig } from './autoscaling-schema.js';
import { type TemplateConfig, type Weekday, WEEKDAYS } from './config-schema.js';

/** Template columns set by a push (durations in milliseconds, day bitmaps with bit 0 = Monday). */
export interface TemplateSettings {
  readonly display_name: string;
  readonly deprecated: string;
  readonly provisioner: 'echo' | 'exec';
  readonly default_ttl: number;
  readonly activity_bump: number;
  readonly allow_user_autostart: boolean;
  readonly allow_user_autostop: boolean;
  readonly autostop_requirement_days_of_week: number;
  readonly autostop_requirement_weeks: number;
  readonly autostart_block_days_of_week: number;
  readonly require_active_version: boolean;
  readonly failure_ttl: number;
  readonly time_til_dormant: number;
  readonly time_til_dormant_autodelete: number;
  readonly time_til_autostop_notify: number;
}

export interface PresetRow {
  readonly name: string;
  readonly is_default: boolean;
  /** null = no prebuilds. */
  readonly desired_instances: number | null;
  readonly invalidate_after_secs: number;
  readonly scheduling_timezone: string;
  /** The validated `prebuilds.autoscaling` block; null = no policy. */
  readonly autoscaling: AutoscalingConfig | null;
}

export interface ParameterRow {
  readonly preset: string;
  readonly name: string;
  readonly value: string;
}

export interface ScheduleRow {
  readonly preset: string;
  readonly position: number;
  readonly cron_expression: string;
  readonly desired_instances: number;
}

export interface TemplateRows {
  readonly organization: string;
  readonly name: string;
  readonly settings: TemplateSettings;
  readonly tags: Record<string, string>;
  readonly presets: readonly PresetRow[];
  readonly parameters: readonly ParameterRow[];
  readonly schedules: readonly ScheduleRow[];
}

/** Bit 0 = Monday ... bit 6 = Sunday. */
export function dayBitmap(days: readonly Weekday[]): number {
  return days.reduce((bits, day) => bits | (1 << WEEKDAYS.indexOf(day)), 0);
}

const ms = (text: string) => parseDuration(text) ?? 0;

export function templateRows(config: TemplateConfig): TemplateRows {
  const { lifecycle } = config;
  return {
    organization: config.organization,
    name: config.name,
    settings: {
      display_name: config.display_name,
      deprecated: config.deprecated,
      provisioner: config.provisioner,
      default_ttl: ms(lifecycle.default_ttl),
      activity_bump: ms(lifecycle.activity_bump),
      allow_user_autostart: lifecycle.allow_user_autostart,
      allow_user_autostop: lifecycle.allow_user_autostop,
      autostop_requirement_days_of_week: dayBitmap(lifecycle.autostop_requirement.days_of_week),
      autostop_requirement_weeks: lifecycle.autostop_requirement.weeks,
      // The table stores the days autostart is NOT allowed.
      autostart_block_days_of_week: 0b111_1111 & ~dayBitmap(lifecycle.autostart_allowed_days),
      require_active_version: lifecycle.require_active_version,
      failure_ttl: ms(lifecycle.failure_ttl),
      time_til_dormant: ms(lifecycle.time_til_dormant),
      time_til_dormant_autodelete: ms(lifecycle.time_til_dormant_autodelete),
      time_til_autostop_notify: ms(lifecycle.time_til_autostop_notify),
    },
    tags: config.tags,
    presets: config.presets.map((preset) => ({
      name: preset.name,
      is_default: preset.default,
      desired_instances: preset.prebuilds?.instances ?? null,
      invalidate_after_secs: preset.prebuilds?.expiration_policy.ttl ?? 0,
      scheduling_timezone: preset.prebuilds?.scheduling?.timezone ?? '',
      autoscaling: preset.prebuilds?.autoscaling ?? null,
    })),
    parameters: config.presets.flatMap((preset) =>
      Object.entries(preset.parameters).map(([name, value]) => ({
        preset: preset.name,
        name,
        value,
      })),
    ),
    schedules: config.presets.flatMap((preset) =>
      (preset.prebuilds?.scheduling?.schedule ?? []).map((entry, position) => ({
        preset: preset.name,
        position,
        cron_expression: entry.cron,
        desired_instances: entry.instances,
      })),
    ),
  };
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the normalised config with sorted keys: equal meaning, equal hash. */
export function contentHash(config: TemplateConfig): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(config)).digest('hex');
}
