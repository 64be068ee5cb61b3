import { decideTarget } from '../decide.js';
import { EMPTY_POOL_COUNTS } from '../defaults.js';
import { hourOfWeek, localClock } from '../local-time.js';
import type { PoolCounts, TargetInputs, TargetSource } from '../types.js';
import { Accounting, seriesStep } from './accounting.js';
import { ScheduledTargets } from './scheduled.js';
import type { SimulationInput, SimulationResult } from './types.js';
import { DemandLog, HistoryWindow } from './windows.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Index of the first element >= value in a sorted array. */
function lowerBound(values: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function checkInput(input: SimulationInput): void {
  const { from, to, attempts, leadTimeMs, reconcileIntervalMs } = input;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
    throw new RangeError('the simulated range must have from < to');
  }
  if (!(reconcileIntervalMs > 0)) throw new RangeError('the reconcile interval must be positive');
  if (!(leadTimeMs >= 0) || !Number.isFinite(leadTimeMs)) {
    throw new RangeError('the lead time must be a finite duration >= 0');
  }
  for (let i = 1; i < attempts.length; i++) {
    if (!((attempts[i] as number) >= (attempts[i - 1] as number))) {
      throw new RangeError(`attempts must be sorted (index ${i} is earlier than index ${i - 1})`);
    }
  }
}

/**
 * Replays claim attempts against a policy with the reconciler's semantics, deterministically:
 *
 * - the pool starts at the policy's target at `from`, all eligible;
 * - the policy is evaluated at `from` + k * reconcile interval, right after every claim attempt
 *   (the reconciler is woken by NOTIFY) and when a creation finishes (likewise), with the
 *   windows, counts and history of the attempts simulated before that instant (never later);
 * - each evaluation deletes the extraneous eligible prebuilds at once (eligible - desired) and
 *   creates the missing ones, max(desired - eligible - starting, 0); a creation becomes
 *   eligible `leadTimeMs` later; prebuilds being created are never cancelled;
 * - an attempt takes an eligible prebuild (a hit) or finds none (a miss: a normal build runs,
 *   which does not use up a prebuild);
 * - at the same instant: creations finish first, then attempts, then the reconcile tick.
 */
export function simulate(input: SimulationInput): SimulationResult {
  checkInput(input);
  const { attempts, from, to, policy, settings, leadTimeMs } = input;
  const measuredLeadTimeMs = input.measuredLeadTimeMs ?? leadTimeMs;
  const timezone = input.schedule.timezone;
  const scheduled = new ScheduledTargets(input.schedule);
  const demand = new DemandLog();

  let next = lowerBound(attempts, from);
  const end = lowerBound(attempts, to);
  for (let i = 0; i < next; i++) {
    demand.record(attempts[i] as number, input.recordedHits?.[i] ?? true);
  }

  let history: HistoryWindow | null = null;
  if (policy?.kind === 'forecast') {
    const clock = localClock(timezone) ?? localClock('')!;
    const buckets = new Uint8Array(attempts.length);
    for (let i = 0; i < attempts.length; i++) {
      buckets[i] = hourOfWeek(clock.localMs(attempts[i] as number));
    }
    history = new HistoryWindow(attempts, buckets, policy.historyMs);
  }

  const accounting = new Accounting(from, to, seriesStep(from, to, input.maxSeriesPoints ?? 1000));
  const bySource: Partial<Record<TargetSource, number>> = {};
  let evaluations = 0;
  let firstError: string | null = null;

  // Creations in progress finish in creation order (one lead time each): a queue.
  const completions: number[] = [];
  let head = 0;
  let eligible = 0;
  let desired = 0;
  let hits = 0;
  let misses = 0;

  // One mutable inputs object, refilled per evaluation (a decision never keeps its inputs): the
  // simulator evaluates tens of thousands of times per simulated week.
  const counts: Mutable<PoolCounts> = { ...EMPTY_POOL_COUNTS };
  const noDemand = new DemandLog().windows(from);
  const inputs: Mutable<TargetInputs> = {
    scheduledTarget: 0,
    counts,
    demand: noDemand,
    history: null,
    measuredLeadTimeMs,
    timezone,
  };

  const decide = (now: number): number => {
    inputs.scheduledTarget = scheduled.at(now);
    counts.running = eligible;
    counts.eligible = eligible;
    counts.starting = completions.length - head;
    // Without a policy the decision is the scheduled target: no windows to count.
    if (policy !== null) inputs.demand = demand.windows(now);
    if (history !== null) {
      const since = history.advance(now, next);
      inputs.history = { attemptsByHourOfWeek: history.counts, since };
    }
    const decision = decideTarget(policy, inputs, new Date(now), settings);
    evaluations += 1;
    bySource[decision.source] = (bySource[decision.source] ?? 0) + 1;
    if (decision.error !== null && firstError === null) firstError = decision.error;
    return decision.desired;
  };

  const reconcile = (now: number): void => {
    desired = decide(now);
    if (eligible > desired) eligible = desired;
    const starting = completions.length - head;
    const missing = Math.min(Math.max(desired - eligible - starting, 0), desired);
    for (let k = 0; k < missing; k++) completions.push(now + leadTimeMs);
  };

  desired = decide(from);
  eligible = desired;
  let tick = from + input.reconcileIntervalMs;

  for (;;) {
    const completion = head < completions.length ? (completions[head] as number) : Infinity;
    const attempt = next < end ? (attempts[next] as number) : Infinity;
    const now = Math.min(completion, attempt, tick);
    if (now >= to) break;
    accounting.advance(now, eligible, completions.length - head, desired);
    if (completion === now) {
      while (head < completions.length && completions[head] === now) {
        head += 1;
        eligible += 1;
      }
    } else if (attempt === now) {
      const hit = eligible > 0;
      if (hit) {
        eligible -= 1;
        hits += 1;
      } else {
        misses += 1;
      }
      demand.record(now, hit);
      accounting.attempt(now, hit);
      next += 1;
    } else {
      tick += input.reconcileIntervalMs;
    }
    reconcile(now);
  }
  accounting.advance(to, eligible, completions.length - head, desired);

  const total = hits + misses;
  return {
    from,
    to,
    leadTimeMs,
    attempts: total,
    hits,
    misses,
    hitRate: total === 0 ? null : hits / total,
    prebuildHours: accounting.prebuildHours,
    idlePrebuildHours: accounting.idlePrebuildHours,
    days: accounting.days(),
    series: { stepMs: accounting.stepMs, points: accounting.series() },
    decisions: { evaluations, bySource, firstError },
  };
}
