import { z } from 'zod';

import { type Db, defineQuery } from '../db/sql-files.js';
import { HOURS_PER_WEEK, localClock } from '../domain/autoscaling/local-time.js';
import {
  DEMAND_WINDOWS,
  type DemandHistory,
  type DemandWindow,
  type DemandWindows,
} from '../domain/autoscaling/types.js';

/**
 * The autoscaler's reads of the claim history and of the prebuilds' build times, each ONE
 * set-based statement for every preset it is asked about (sql/autoscaling/demand.sql). Presets
 * are keyed by template id and preset name: a new template version keeps its preset's history.
 */

/** Key of a preset's history: template id and preset name. */
export const demandKey = (templateId: string, presetName: string) =>
  `${templateId}\u0000${presetName}`;

const COUNT_COLUMNS = DEMAND_WINDOWS.flatMap((w) => [`claims_${w}m`, `misses_${w}m`]);

type WindowRow = { template_id: string; preset_name: string } & Record<
  `${'claims' | 'misses'}_${DemandWindow}m`,
  number
>;

/** Checked by hand (one row per preset with recent demand, every pass; zod would copy each). */
export const WindowRow = z.custom<WindowRow>(
  (value) => {
    if (typeof value !== 'object' || value === null) return false;
    const row = value as Record<string, unknown>;
    return (
      typeof row.template_id === 'string' &&
      typeof row.preset_name === 'string' &&
      COUNT_COLUMNS.every((column) => Number.isInteger(row[column]))
    );
  },
  { message: 'not a demand window row: template_id, preset_name, claims_5m ... misses_120m' },
);
const windowsQuery = defineQuery<{ now: Date }, typeof WindowRow>(
  'GetClaimDemandWindows',
  WindowRow,
);

/**
 * Every preset's claim and miss counts in the windows ending at `now` (absent = all zero). Built
 * with literals, not per-row Object.fromEntries: up to one row per preset every pass.
 */
export async function readDemandWindows(db: Db, now: Date): Promise<Map<string, DemandWindows>> {
  const rows = await windowsQuery.any(db, { now });
  const windows = new Map<string, DemandWindows>();
  for (const row of rows) {
    windows.set(demandKey(row.template_id, row.preset_name), {
      claims: {
        5: row.claims_5m,
        10: row.claims_10m,
        30: row.claims_30m,
        60: row.claims_60m,
        120: row.claims_120m,
      },
      misses: {
        5: row.misses_5m,
        10: row.misses_10m,
        30: row.misses_30m,
        60: row.misses_60m,
        120: row.misses_120m,
      },
    });
  }
  return windows;
}

export interface HistoryRequest {
  readonly templateId: string;
  readonly presetName: string;
  /** IANA zone of the hour-of-week buckets; '' = UTC. */
  readonly timezone: string;
  readonly historyMs: number;
}

const ProfileRow = z.object({
  template_id: z.string(),
  preset_name: z.string(),
  first_at: z.date().nullable(),
  by_hour_of_week: z.record(z.number()),
});
const profilesQuery = defineQuery<
  {
    template_ids: string[];
    preset_names: string[];
    timezones: string[];
    sinces: string[];
    now: Date;
  },
  typeof ProfileRow
>('GetClaimDemandProfiles', ProfileRow);

const checkZone = defineQuery<{ zone: string }>('CheckTimeZone', z.object({}));

/** Zones PostgreSQL does not know (checked one by one, only after a batch failed on one). */
const unknownToPostgres = new Set<string>();

async function knownToPostgres(db: Db, zone: string): Promise<boolean> {
  try {
    // A savepoint of its own, so a failure leaves the caller's transaction usable.
    await db.transaction((tx) => checkZone.any(tx, { zone }));
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone the profile of a request is counted in: its own when the runtime knows it, else UTC
 * (the decision then reports the unknown zone itself).
 */
function profileZone(timezone: string): string {
  if (timezone === '' || unknownToPostgres.has(timezone) || localClock(timezone) === null) {
    return 'UTC';
  }
  return timezone;
}

/**
 * The demand history of each requested preset at `now`: attempts per local hour of the week over
 * [now - history, now), and `since` = the later of now - history and the first attempt ever.
 * One statement for every request. Zones are checked against the runtime's (Intl) database; one
 * that PostgreSQL does not know fails the statement, so then each zone is checked in
 * PostgreSQL, the unknown ones are remembered and counted in UTC, and the statement is re-run.
 */
export async function readDemandHistories(
  db: Db,
  requests: readonly HistoryRequest[],
  now: Date,
): Promise<Map<string, DemandHistory>> {
  const histories = new Map<string, DemandHistory>();
  if (requests.length === 0) return histories;
  const read = (handle: Db) =>
    profilesQuery.any(handle, {
      template_ids: requests.map((r) => r.templateId),
      preset_names: requests.map((r) => r.presetName),
      timezones: requests.map((r) => profileZone(r.timezone)),
      sinces: requests.map((r) => new Date(now.getTime() - r.historyMs).toISOString()),
      now,
    });
  let rows: Awaited<ReturnType<typeof read>>;
  try {
    // A savepoint, so that a failure leaves the caller's transaction usable for the retry.
    rows = await db.transaction((tx) => read(tx));
  } catch (error) {
    const zones = new Set(requests.map((r) => profileZone(r.timezone)));
    let found = false;
    for (const zone of zones) {
      if (zone !== 'UTC' && !(await knownToPostgres(db, zone))) {
        unknownToPostgres.add(zone);
        found = true;
      }
    }
    if (!found) throw error;
    rows = await read(db);
  }
  const byKey = new Map(requests.map((r) => [demandKey(r.templateId, r.presetName), r]));
  for (const row of rows) {
    const key = demandKey(row.template_id, row.preset_name);
    const request = byKey.get(key);
    if (!request) continue;
    const counts = Array.from({ length: HOURS_PER_WEEK }, () => 0);
    for (const [bucket, attempts] of Object.entries(row.by_hour_of_week)) {
      const index = Number(bucket);
      if (Number.isInteger(index) && index >= 0 && index < HOURS_PER_WEEK) counts[index] = attempts;
    }
    const start = now.getTime() - request.historyMs;
    histories.set(key, {
      attemptsByHourOfWeek: counts,
      since: row.first_at === null ? null : new Date(Math.max(start, row.first_at.getTime())),
    });
  }
  return histories;
}

/** The lead-time measurement: the quantile of how many recent creations, and the minimum. */
export const LEAD_TIME_QUANTILE = 0.9;
export const LEAD_TIME_MAX_SAMPLES = 50;
export const LEAD_TIME_MIN_SAMPLES = 5;
export const LEAD_TIME_LOOKBACK_MS = 7 * 86_400_000;

const LeadRow = z.object({
  template_id: z.string(),
  preset_name: z.string(),
  samples: z.number(),
  lead_time_ms: z.number().nullable(),
});
const leadQuery = defineQuery<
  {
    template_ids: string[];
    preset_names: string[];
    since: Date;
    quantile: number;
    max_samples: number;
  },
  typeof LeadRow
>('GetPrebuildLeadTimes', LeadRow);

/**
 * Each requested preset's measured lead time: the 90th percentile of creation job start to
 * eligible over its last 50 successful prebuild creations of the past 7 days; null (absent from
 * the map) with fewer than 5 such creations.
 */
export async function readLeadTimes(
  db: Db,
  presets: readonly { readonly templateId: string; readonly presetName: string }[],
  now: Date,
): Promise<Map<string, number>> {
  const leadTimes = new Map<string, number>();
  if (presets.length === 0) return leadTimes;
  const rows = await leadQuery.any(db, {
    template_ids: presets.map((p) => p.templateId),
    preset_names: presets.map((p) => p.presetName),
    since: new Date(now.getTime() - LEAD_TIME_LOOKBACK_MS),
    quantile: LEAD_TIME_QUANTILE,
    max_samples: LEAD_TIME_MAX_SAMPLES,
  });
  for (const row of rows) {
    if (row.samples >= LEAD_TIME_MIN_SAMPLES && row.lead_time_ms !== null) {
      leadTimes.set(demandKey(row.template_id, row.preset_name), Math.round(row.lead_time_ms));
    }
  }
  return leadTimes;
}
