import { simulate, type SimulationResult } from '../../domain/autoscaling/simulate/index.js';
import type { AutoscalingSettings } from '../../domain/autoscaling/types.js';
import type { Demand, PresetPolicy } from './sources.js';
import { SourceError } from './sources.js';

const DAY = 86_400_000;
/** Longer ranges are refused: a year at a 15 s interval is already 2M evaluations. */
export const MAX_RANGE_MS = 366 * DAY;

export interface SimulateOptions {
  readonly from?: number;
  readonly to?: number;
  readonly reconcileIntervalMs: number;
  /** The simulated build time; default: the measured one, else the settings' default. */
  readonly leadTimeMs?: number;
  readonly settings: AutoscalingSettings;
}

export interface SimulationReport extends PresetPolicy {
  readonly result: SimulationResult;
}

/** The simulated range: the flags, else the demand's span. */
export function simulatedRange(demand: Demand, options: SimulateOptions) {
  const from = options.from ?? demand.span?.from;
  const to = options.to ?? demand.span?.to;
  if (from === undefined || to === undefined) {
    throw new SourceError('the demand has no claim attempt: give the range with --from and --to');
  }
  if (to <= from) {
    throw new SourceError(
      `the range is empty: --to ${new Date(to).toISOString()} is not after --from ${new Date(from).toISOString()}`,
    );
  }
  if (to - from > MAX_RANGE_MS) {
    throw new SourceError('the range is longer than 366 days: simulate it in parts');
  }
  return { from, to };
}

/** Replays the same demand against each policy, with the same range and lead time. */
export function runSimulations(
  demand: Demand,
  policies: readonly PresetPolicy[],
  options: SimulateOptions,
): SimulationReport[] {
  const { from, to } = simulatedRange(demand, options);
  const leadTimeMs =
    options.leadTimeMs ?? demand.measuredLeadTimeMs ?? options.settings.defaultLeadTimeMs;
  return policies.map((preset) => ({
    ...preset,
    result: simulate({
      attempts: demand.attempts,
      ...(demand.recordedHits && { recordedHits: demand.recordedHits }),
      from,
      to,
      policy: preset.policy,
      schedule: preset.schedule,
      leadTimeMs,
      measuredLeadTimeMs: demand.measuredLeadTimeMs ?? leadTimeMs,
      reconcileIntervalMs: options.reconcileIntervalMs,
      settings: options.settings,
    }),
  }));
}
