import type { IANAZone } from 'luxon';

import { type CronRange, matchesDay, matchesLocal } from './cron.js';
import {
  advanceToLocal,
  DAY,
  HOUR,
  type LocalDateTime,
  localFields,
  localMs,
  zoneOf,
} from '../time/zone.js';
import type { DesiredResolver, DesiredResult, PrebuildScheduleConfig } from './types.js';
import { checkSchedules, formatPath } from './validate.js';

/**
 * The desired pool size of a preset at an instant. A schedule is a continuous range at hour
 * granularity in the preset's zone: the instant is converted to local wall-clock time and
 * matched on (month, day of month, day of week, hour). The first matching schedule wins; no match
 * means `instances`. Invalid stored data falls back to `instances` with the reason, never throws.
 */

type Compiled =
  | { readonly ok: true; readonly zone: IANAZone; readonly crons: readonly CronRange[] }
  | { readonly ok: false; readonly error: string };

// Presets are evaluated every pass with the same few configurations: keep their parsed form.
const compiled = new Map<string, Compiled>();
const CACHE_LIMIT = 2000;

function compile(config: PrebuildScheduleConfig): Compiled {
  const key = [
    config.timezone,
    ...config.schedules.map((s) => `${s.cron}\u0000${s.instances}`),
  ].join('\u0001');
  let entry = compiled.get(key);
  if (entry === undefined) {
    entry = compileUncached(config);
    if (compiled.size >= CACHE_LIMIT) compiled.clear();
    compiled.set(key, entry);
  }
  return entry;
}

function compileUncached(config: PrebuildScheduleConfig): Compiled {
  const { issues, crons } = checkSchedules(config.timezone, config.schedules);
  if (issues.length > 0) {
    const reasons = issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    return { ok: false, error: `invalid prebuild schedule: ${reasons.join('; ')}` };
  }
  const zone = zoneOf(config.timezone);
  if (zone === null) return { ok: false, error: `unknown time zone "${config.timezone}"` };
  return { ok: true, zone, crons: crons as CronRange[] };
}

function fallback(config: PrebuildScheduleConfig, error: string): DesiredResult {
  // Reached from a catch too, where nothing about `config` is guaranteed.
  const instances = (config as Partial<PrebuildScheduleConfig> | undefined)?.instances;
  const desired = Number.isSafeInteger(instances) && (instances as number) >= 0 ? instances : 0;
  return { desired: desired as number, schedule: null, error };
}

type Valid = Extract<Compiled, { ok: true }>;

function evaluateLocal(
  config: PrebuildScheduleConfig,
  entry: Valid,
  local: LocalDateTime,
): DesiredResult {
  const index = entry.crons.findIndex((cron) => matchesLocal(cron, local));
  const schedule = index >= 0 ? config.schedules[index] : undefined;
  return schedule
    ? { desired: schedule.instances, schedule: index }
    : { desired: config.instances, schedule: null };
}

function evaluateCompiled(config: PrebuildScheduleConfig, entry: Valid, ms: number): DesiredResult {
  return evaluateLocal(config, entry, localFields(localMs(entry.zone, ms)));
}

function usableInstances(config: PrebuildScheduleConfig): string | undefined {
  return Number.isSafeInteger(config.instances) && config.instances >= 0
    ? undefined
    : `instances ${String(config.instances)} must be a whole number of at least 0`;
}

export function evaluateDesired(config: PrebuildScheduleConfig, at: Date): DesiredResult {
  try {
    const badInstances = usableInstances(config);
    if (badInstances) return { desired: 0, schedule: null, error: badInstances };
    if (config.schedules.length === 0) return { desired: config.instances, schedule: null };
    const ms = at.getTime();
    if (!Number.isFinite(ms)) return fallback(config, 'invalid instant');
    const entry = compile(config);
    if (!entry.ok) return fallback(config, entry.error);
    return evaluateCompiled(config, entry, ms);
  } catch (error) {
    return fallback(config, `schedule evaluation failed: ${(error as Error).message}`);
  }
}

/** The resolver the reconciler is given. */
export const resolveDesired: DesiredResolver = evaluateDesired;

export function desiredInstances(config: PrebuildScheduleConfig, at: Date): number {
  return evaluateDesired(config, at).desired;
}

export const NEXT_CHANGE_HORIZON_MS = 400 * 86_400_000;

export interface DesiredChange {
  readonly at: Date;
  readonly desired: number;
}

/**
 * The first instant after `at` at which the desired count differs from the count at `at`, and
 * the new count; null when it does not change within the horizon (400 days by default) or the
 * configuration is invalid (the fallback is constant).
 */
export function nextChange(
  config: PrebuildScheduleConfig,
  at: Date,
  horizonMs: number = NEXT_CHANGE_HORIZON_MS,
): DesiredChange | null {
  try {
    const start = at.getTime();
    if (!Number.isFinite(start) || usableInstances(config) || config.schedules.length === 0) {
      return null;
    }
    // Every schedule asks for the default count: it can never change.
    if (config.schedules.every((s) => s.instances === config.instances)) return null;
    const entry = compile(config);
    if (!entry.ok) return null;
    const current = evaluateCompiled(config, entry, start).desired;
    const limit = start + horizonMs;
    let t = start;
    for (;;) {
      // Invariant: the count at t is `current`. Find the next local hour of this local day with
      // another count (or the next midnight), then jump there in one step.
      const local = localMs(entry.zone, t);
      const fields = localFields(local);
      const dayMatters = entry.crons.some((cron) =>
        matchesDay(cron, fields.month, fields.day, fields.weekday),
      );
      // A day no schedule can match keeps `instances` all day: go straight to its end.
      let hour = dayMatters ? fields.hour + 1 : 24;
      while (hour < 24 && evaluateLocal(config, entry, { ...fields, hour }).desired === current) {
        hour += 1;
      }
      t = advanceToLocal(entry.zone, t, Math.floor(local / DAY) * DAY + hour * HOUR);
      if (t > limit) return null;
      const desired = evaluateCompiled(config, entry, t).desired;
      if (desired !== current) return { at: new Date(t), desired };
    }
  } catch {
    return null;
  }
}
