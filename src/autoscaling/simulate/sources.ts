import { readFile } from 'node:fs/promises';

import type { AutoscalingPolicy } from '../../domain/autoscaling/types.js';
import type { PrebuildScheduleConfig } from '../../domain/schedule/types.js';
import { policyFromConfig } from '../../templates/autoscaling-policy.js';
import type { TemplateConfig } from '../../templates/config-schema.js';
import { parseTrace } from './trace.js';

/**
 * Where `prebuilds simulate` gets its two inputs. Trace mode reads a CSV trace and template
 * files; the database mode (recorded claim attempts and the preset's active policy) implements
 * the same two interfaces.
 */

/** One preset's claim attempts. */
export interface Demand {
  /** Attempt instants (ms), sorted; those before the simulated range are history only. */
  readonly attempts: readonly number[];
  /** Recorded outcomes (true = hit), parallel to `attempts`; absent for a trace. */
  readonly recordedHits?: readonly boolean[];
  /** The range the demand covers: the default --from and --to. null = no attempt. */
  readonly span: { readonly from: number; readonly to: number } | null;
  /** The preset's measured lead time; null = unknown (trace mode). */
  readonly measuredLeadTimeMs: number | null;
}

/** The policy to replay and what the pool does without it. */
export interface PresetPolicy {
  readonly preset: string;
  /** Where the policy came from (a file name), for the output. */
  readonly source: string;
  readonly policy: AutoscalingPolicy | null;
  readonly schedule: PrebuildScheduleConfig;
}

export interface DemandSource {
  load(): Promise<Demand>;
}

export interface PolicySource {
  load(): Promise<PresetPolicy>;
}

/** A problem with the sources (unreadable file, unknown preset): one line for the CLI. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
}

const HOUR = 3_600_000;

export async function readTextFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(error);
    throw new SourceError(`cannot read ${file}: ${why}`);
  }
}

/**
 * A CSV trace (see trace.ts). Its span runs from the start of the UTC hour of the first attempt
 * to the end of the UTC hour of the last one.
 */
export function traceDemand(file: string): DemandSource {
  return {
    async load() {
      const attempts = parseTrace(await readTextFile(file), file);
      const first = attempts[0];
      const last = attempts[attempts.length - 1];
      return {
        attempts,
        span:
          first === undefined || last === undefined
            ? null
            : { from: Math.floor(first / HOUR) * HOUR, to: (Math.floor(last / HOUR) + 1) * HOUR },
        measuredLeadTimeMs: null,
      };
    },
  };
}

/** A preset of a validated template config, with its policy and schedules. */
export function presetPolicy(
  config: TemplateConfig,
  preset: string | undefined,
  source: string,
): PresetPolicy {
  const pools = config.presets.filter((p) => p.prebuilds !== undefined);
  const names = config.presets.map((p) => p.name);
  let chosen = config.presets.find((p) => p.name === preset);
  if (preset === undefined) {
    if (pools.length !== 1) {
      throw new SourceError(
        `${source}: name the preset with --preset (presets with prebuilds: ${pools.map((p) => p.name).join(', ') || 'none'})`,
      );
    }
    chosen = pools[0];
  }
  if (chosen === undefined) {
    throw new SourceError(
      `${source}: no preset ${JSON.stringify(preset)} (presets: ${names.join(', ') || 'none'})`,
    );
  }
  const prebuilds = chosen.prebuilds;
  if (prebuilds === undefined) {
    throw new SourceError(`${source}: preset ${JSON.stringify(chosen.name)} has no prebuilds`);
  }
  return {
    preset: chosen.name,
    source,
    policy: policyFromConfig(prebuilds),
    schedule: {
      instances: prebuilds.instances,
      timezone: prebuilds.scheduling?.timezone ?? '',
      schedules: prebuilds.scheduling?.schedule ?? [],
    },
  };
}
