import type { PresetConfig, TemplateConfig } from './config-schema.js';
import { canonicalJson } from './mapping.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const show = (value: unknown) => (value === undefined ? '(unset)' : canonicalJson(value));

function summarisePreset(preset: PresetConfig): string {
  const flags = preset.default ? ' (default)' : '';
  if (!preset.prebuilds) return `preset ${preset.name}${flags}: no prebuilds`;
  const { instances, scheduling } = preset.prebuilds;
  const schedules = scheduling
    ? `, ${scheduling.schedule.length} schedule(s) in ${scheduling.timezone}`
    : '';
  return `preset ${preset.name}${flags}: ${instances} prebuild(s)${schedules}`;
}

function changedKeys(before: unknown, after: Record<string, unknown>): string[] {
  const old = isRecord(before) ? before : {};
  const keys = [...new Set([...Object.keys(old), ...Object.keys(after)])];
  return keys.filter((key) => show(old[key]) !== show(after[key]));
}

/**
 * Human-readable differences between the active version's stored config and a new one, one per
 * line: `+` added, `-` removed, `~` changed. `before` is null for a new template.
 */
export function describeChanges(before: unknown, after: TemplateConfig): string[] {
  if (before === null) {
    return ['+ new template', ...after.presets.map((preset) => `+ ${summarisePreset(preset)}`)];
  }
  const old = isRecord(before) ? before : {};
  const lines: string[] = [];
  const { presets, lifecycle, ...top } = after;
  for (const key of changedKeys(old, top)) {
    if (key === 'presets' || key === 'lifecycle') continue;
    lines.push(`~ ${key}: ${show(old[key])} -> ${show((top as Record<string, unknown>)[key])}`);
  }
  const oldLifecycle = isRecord(old.lifecycle) ? old.lifecycle : {};
  for (const key of changedKeys(oldLifecycle, lifecycle)) {
    const next = (lifecycle as Record<string, unknown>)[key];
    lines.push(`~ lifecycle.${key}: ${show(oldLifecycle[key])} -> ${show(next)}`);
  }
  const oldPresets = new Map<string, Record<string, unknown>>();
  for (const preset of Array.isArray(old.presets) ? old.presets : []) {
    if (isRecord(preset) && typeof preset.name === 'string') oldPresets.set(preset.name, preset);
  }
  for (const preset of presets) {
    const previous = oldPresets.get(preset.name);
    oldPresets.delete(preset.name);
    if (!previous) {
      lines.push(`+ ${summarisePreset(preset)}`);
      continue;
    }
    const keys = changedKeys(previous, preset);
    if (keys.length > 0) lines.push(`~ preset ${preset.name}: ${keys.join(', ')} changed`);
  }
  for (const name of oldPresets.keys()) lines.push(`- preset ${name}`);
  return lines;
}
