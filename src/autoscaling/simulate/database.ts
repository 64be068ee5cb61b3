import { z } from 'zod';

import { type Db, defineQuery } from '../../db/sql-files.js';
import { readLeadTimes } from '../demand-reads.js';
import { storedPolicy } from '../stored-policy.js';
import { type Demand, type DemandSource, type PolicySource, SourceError } from './sources.js';

/**
 * The database mode of `prebuilds simulate --template T --preset P`: demand from the recorded
 * claim attempts (prebuild_claim_attempts), the policy from the preset on the template's active
 * version, and the measured lead time. Implements the same DemandSource and PolicySource as the
 * trace mode.
 */

const HOUR = 3_600_000;
/** History loaded before --from, so a forecast starts warm: the longest a forecast may look back. */
export const HISTORY_BEFORE_FROM_MS = 90 * 24 * HOUR;

const PresetFound = z.object({
  template_id: z.string(),
  template_name: z.string(),
  organization_name: z.string(),
  version_name: z.string().nullable(),
  preset_id: z.string().nullable(),
  desired_instances: z.number().nullable(),
  scheduling_timezone: z.string(),
  autoscaling: z.record(z.unknown()).nullable(),
  schedules: z.array(z.object({ cron: z.string(), instances: z.number() })),
  preset_names: z.array(z.string()),
});
type PresetFound = z.infer<typeof PresetFound>;
const findPreset = defineQuery<
  { template: string; preset: string; organization: string | null },
  typeof PresetFound
>('FindSimulatedPreset', PresetFound);

const AttemptRow = z.object({ at_ms: z.number(), hit: z.boolean() });
const attemptsQuery = defineQuery<
  { template_id: string; preset_name: string; from: Date; to: Date },
  typeof AttemptRow
>('GetClaimAttemptsForSimulation', AttemptRow);

export interface RecordedPresetRef {
  readonly template: string;
  readonly preset: string;
  readonly organization?: string;
}

/**
 * The preset on the active version of a live template; a SourceError naming what is missing
 * (no template, ambiguous across organizations, no active version, no such preset, no prebuilds).
 */
export async function findRecordedPreset(db: Db, ref: RecordedPresetRef): Promise<PresetFound> {
  const rows = await findPreset.any(db, {
    template: ref.template,
    preset: ref.preset,
    organization: ref.organization ?? null,
  });
  const where = ref.organization ? ` in organization "${ref.organization}"` : '';
  if (rows.length === 0) throw new SourceError(`--template: no template "${ref.template}"${where}`);
  if (rows.length > 1) {
    const orgs = rows.map((row) => row.organization_name).join(', ');
    throw new SourceError(
      `--template: "${ref.template}" exists in organizations ${orgs}: name one with --organization`,
    );
  }
  const row = rows[0] as PresetFound;
  if (row.version_name === null) {
    throw new SourceError(`--template: template "${ref.template}" has no active version`);
  }
  if (row.preset_id === null) {
    throw new SourceError(
      `--preset: no preset "${ref.preset}" in template ${row.template_name} (version ${row.version_name}; presets: ${row.preset_names.join(', ') || 'none'})`,
    );
  }
  if (row.desired_instances === null) {
    throw new SourceError(
      `--preset: preset "${ref.preset}" of template ${row.template_name} has no prebuilds`,
    );
  }
  return row;
}

/** The preset's active policy and schedules, as the controller decides with them. */
export function activePolicy(db: Db, ref: RecordedPresetRef): PolicySource {
  return {
    async load() {
      const row = await findRecordedPreset(db, ref);
      const stored = storedPolicy(row.autoscaling);
      if (stored.autoscalingError) throw new SourceError(stored.autoscalingError.message);
      return {
        preset: ref.preset,
        source: `${row.organization_name}/${row.template_name} ${row.version_name ?? ''} (active)`,
        policy: stored.autoscaling ?? null,
        schedule: {
          instances: row.desired_instances ?? 0,
          timezone: row.scheduling_timezone,
          schedules: row.schedules,
        },
      };
    },
  };
}

export interface RecordedRange {
  readonly from?: number;
  readonly to?: number;
  /** When the measured lead time is taken (the last 7 days before it); the CLI's clock. */
  readonly now: Date;
}

/**
 * The preset's recorded attempts: those in [from - 90 days, to), the ones before `from` being the
 * history a forecast learns from (with their outcomes); without --from/--to, every recorded one,
 * and the span runs from the start of the UTC hour of the first attempt to the end of the UTC
 * hour of the last one (as for a trace). The measured lead time comes along.
 */
export function recordedDemand(db: Db, ref: RecordedPresetRef, range: RecordedRange): DemandSource {
  return {
    async load(): Promise<Demand> {
      const row = await findRecordedPreset(db, ref);
      const rows = await attemptsQuery.any(db, {
        template_id: row.template_id,
        preset_name: ref.preset,
        from: new Date(range.from === undefined ? 0 : range.from - HISTORY_BEFORE_FROM_MS),
        to: range.to === undefined ? new Date(8_640_000_000_000_000) : new Date(range.to),
      });
      const attempts = rows.map((r) => r.at_ms);
      const recordedHits = rows.map((r) => r.hit);
      const first = attempts[0];
      const last = attempts[attempts.length - 1];
      const leadTimes = await readLeadTimes(
        db,
        [{ templateId: row.template_id, presetName: ref.preset }],
        range.now,
      );
      return {
        attempts,
        recordedHits,
        span:
          first === undefined || last === undefined
            ? null
            : { from: Math.floor(first / HOUR) * HOUR, to: (Math.floor(last / HOUR) + 1) * HOUR },
        measuredLeadTimeMs: leadTimes.values().next().value ?? null,
      };
    },
  };
}
