import { evaluateDesired, nextChange } from '../../schedule/evaluate.js';
import type { PrebuildScheduleConfig } from '../../schedule/types.js';

/**
 * The scheduled target over simulated time, from the same pure evaluator the reconciler uses.
 * It changes at a few hour boundaries a day at most, so each value is kept until its next change
 * instead of converting every instant to local time.
 */
export class ScheduledTargets {
  private from = Infinity;
  private until = -Infinity;
  private value = 0;

  constructor(private readonly config: PrebuildScheduleConfig) {}

  at(now: number): number {
    if (now < this.from || now >= this.until) {
      const at = new Date(now);
      this.value = evaluateDesired(this.config, at).desired;
      this.from = now;
      this.until = nextChange(this.config, at)?.at.getTime() ?? Infinity;
    }
    return this.value;
  }
}
