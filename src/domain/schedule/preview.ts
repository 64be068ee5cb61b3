import { evaluateDesired } from './evaluate.js';
import type { PrebuildScheduleConfig } from './types.js';

export interface PreviewPoint {
  readonly at: Date;
  readonly desired: number;
  /** Index of the matching schedule, null when `instances` applies. */
  readonly schedule: number | null;
}

/** Points of the half-open range [from, to): from, from + step, ... */
export function previewDesired(
  config: PrebuildScheduleConfig,
  from: Date,
  to: Date,
  stepMs: number,
): PreviewPoint[] {
  if (!(stepMs > 0)) throw new RangeError('step must be positive');
  const points: PreviewPoint[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += stepMs) {
    const at = new Date(t);
    const { desired, schedule } = evaluateDesired(config, at);
    points.push({ at, desired, schedule });
  }
  return points;
}

/** Consecutive points with the same count and schedule, merged into [from, to) runs. */
export interface PreviewRun {
  readonly from: Date;
  readonly to: Date;
  readonly desired: number;
  readonly schedule: number | null;
}

export function previewRuns(points: readonly PreviewPoint[], end: Date): PreviewRun[] {
  const runs: PreviewRun[] = [];
  points.forEach((point, index) => {
    const next = points[index + 1]?.at ?? end;
    const last = runs[runs.length - 1];
    if (last && last.desired === point.desired && last.schedule === point.schedule) {
      runs[runs.length - 1] = { ...last, to: next };
    } else {
      runs.push({ from: point.at, to: next, desired: point.desired, schedule: point.schedule });
    }
  });
  return runs;
}
