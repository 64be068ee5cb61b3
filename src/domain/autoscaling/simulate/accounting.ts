import type { SeriesPoint, SimulationDay } from './types.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Step sizes the time series snaps to, so a chart's axis reads well. */
const STEPS = [1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * 60_000);

/** The smallest listed step that keeps [from, to) within `maxPoints` points. */
export function seriesStep(from: number, to: number, maxPoints: number): number {
  const span = Math.max(to - from, 1);
  return STEPS.find((step) => span / step <= maxPoints) ?? Math.ceil(span / maxPoints);
}

interface DayTotals {
  attempts: number;
  misses: number;
  prebuildMs: number;
}

interface StepTotals {
  attempts: number;
  misses: number;
  target: number;
  eligibleMs: number;
  startingMs: number;
  eligibleMin: number;
}

/**
 * Integrates the pool over simulated time (totals, UTC days, series steps) and counts attempts.
 * `advance(t, eligible, starting, desired)` accounts for [last, t) with the values that held
 * during it.
 */
export class Accounting {
  private last: number;
  private prebuildMs = 0;
  private eligibleMs = 0;
  private readonly firstDay: number;
  private readonly dayTotals: DayTotals[];
  private readonly stepTotals: StepTotals[];

  constructor(
    private readonly from: number,
    private readonly to: number,
    readonly stepMs: number,
  ) {
    this.last = from;
    this.firstDay = Math.floor(from / DAY);
    const days = Math.max(Math.floor((to - 1) / DAY) - this.firstDay + 1, 0);
    this.dayTotals = Array.from({ length: days }, () => ({
      attempts: 0,
      misses: 0,
      prebuildMs: 0,
    }));
    const steps = Math.max(Math.ceil((to - from) / stepMs), 0);
    this.stepTotals = Array.from({ length: steps }, () => ({
      attempts: 0,
      misses: 0,
      target: 0,
      eligibleMs: 0,
      startingMs: 0,
      eligibleMin: Infinity,
    }));
  }

  private day(at: number): DayTotals | undefined {
    return this.dayTotals[Math.floor(at / DAY) - this.firstDay];
  }

  private step(at: number): StepTotals | undefined {
    return this.stepTotals[Math.floor((at - this.from) / this.stepMs)];
  }

  advance(until: number, eligible: number, starting: number, desired: number): void {
    const end = Math.min(until, this.to);
    let t = this.last;
    if (end <= t) return;
    const exist = eligible + starting;
    this.prebuildMs += exist * (end - t);
    this.eligibleMs += eligible * (end - t);
    while (t < end) {
      const dayEnd = (Math.floor(t / DAY) + 1) * DAY;
      const stepEnd = this.from + (Math.floor((t - this.from) / this.stepMs) + 1) * this.stepMs;
      const next = Math.min(end, dayEnd, stepEnd);
      const day = this.day(t);
      if (day) day.prebuildMs += exist * (next - t);
      const step = this.step(t);
      if (step) {
        step.eligibleMs += eligible * (next - t);
        step.startingMs += starting * (next - t);
        if (eligible < step.eligibleMin) step.eligibleMin = eligible;
        if (desired > step.target) step.target = desired;
      }
      t = next;
    }
    this.last = end;
  }

  attempt(at: number, hit: boolean): void {
    const day = this.day(at);
    const step = this.step(at);
    if (day) {
      day.attempts += 1;
      if (!hit) day.misses += 1;
    }
    if (step) {
      step.attempts += 1;
      if (!hit) step.misses += 1;
    }
  }

  get prebuildHours(): number {
    return this.prebuildMs / HOUR;
  }

  get idlePrebuildHours(): number {
    return this.eligibleMs / HOUR;
  }

  days(): SimulationDay[] {
    return this.dayTotals.map((day, i) => ({
      date: new Date((this.firstDay + i) * DAY).toISOString().slice(0, 10),
      attempts: day.attempts,
      misses: day.misses,
      hitRate: day.attempts === 0 ? null : (day.attempts - day.misses) / day.attempts,
      prebuildHours: day.prebuildMs / HOUR,
    }));
  }

  series(): SeriesPoint[] {
    return this.stepTotals.map((step, i) => {
      const at = this.from + i * this.stepMs;
      const length = Math.min(this.stepMs, this.to - at);
      return {
        at,
        attempts: step.attempts,
        misses: step.misses,
        target: step.target,
        eligible: step.eligibleMs / length,
        eligibleMin: step.eligibleMin === Infinity ? 0 : step.eligibleMin,
        starting: step.startingMs / length,
      };
    });
  }
}
