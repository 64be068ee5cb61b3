import { decideTarget } from '../autoscaling/decide.js';
import { DEFAULT_AUTOSCALING_SETTINGS } from '../autoscaling/defaults.js';
import { DEMAND_WINDOWS, type DemandWindows, type TargetDecision } from '../autoscaling/types.js';
import type { DesiredResolver, DesiredResult } from '../schedule/types.js';
import { backoffUntil } from './backoff.js';
import { type Classified, classify, type FailedDelete } from './classify.js';
import type { PrebuildOptions } from './options.js';
import type { PrebuildStatus, PresetRow, PresetSnapshot } from './types.js';

/** The schedule that sets `desired` at this instant. */
export interface ScheduleInForce {
  /** Index of the matching schedule, or null when the preset's `instances` applies. */
  readonly index: number | null;
  readonly cron: string | null;
  /** Set when the stored schedules are invalid and `instances` applies instead. */
  readonly error: string | null;
}

/**
 * One preset's numbers at `now`. The reconciler's actions, `prebuilds status` and the gauges are
 * all computed from this, so they cannot disagree.
 */
export interface PresetState {
  /** The reconciler creates for this preset: see `inactiveReason`. */
  readonly active: boolean;
  /** Why the preset gets no prebuilds (desired 0), or null when active. */
  readonly inactiveReason: string | null;
  readonly desired: number;
  /**
   * How `desired` was decided: the scheduled target (instances/schedules) and, with an
   * autoscaling policy, its source, fallback reason and forecast figures. Inactive: 0, scheduled.
   */
  readonly target: TargetDecision;
  /** null when the preset is inactive (no schedule applies). */
  readonly schedule: ScheduleInForce | null;
  /** Running prebuilds, expired ones included (Coder's `running` gauge). */
  readonly running: number;
  /** Running and not expired. */
  readonly valid: number;
  /** Valid and ready: what a claim can get right now (0 when inactive). */
  readonly eligible: number;
  readonly expired: number;
  /** Valid prebuilds beyond `desired`. */
  readonly extraneous: number;
  readonly starting: number;
  readonly stopping: number;
  readonly deleting: number;
  /** Pending creation jobs of an inactive preset, to cancel. */
  readonly pendingInactive: number;
  /** Stopped or failed prebuilds past the grace period, to delete. */
  readonly stoppedOrFailed: number;
  /** Prebuilds whose delete failed and that are not retried now (backing off, or given up). */
  readonly failedDeletes: readonly FailedDelete[];
  /** Prebuilds missing from the pool: max(desired - valid - starting, 0), at most desired. */
  readonly missing: number;
  /** Creation failures since the last success, within the lookback. */
  readonly recentFailures: number;
  /** Creation waits until then; null when not backing off at `now`. */
  readonly backoffUntil: Date | null;
  readonly hardLimited: boolean;
  /** The status the preset should have; differs from `storedStatus` on a transition. */
  readonly status: PrebuildStatus;
  readonly storedStatus: PrebuildStatus;
  /** Why no prebuild is created although some are missing, or null. */
  readonly creationBlocked: string | null;
}

function inactiveReason(preset: PresetRow): string | null {
  if (preset.templateDeleted) return `template ${preset.templateName} is deleted`;
  if (!preset.usingActiveVersion) {
    return `version ${preset.templateVersionName} is no longer the active version`;
  }
  if (preset.templateDeprecated) return `template ${preset.templateName} is deprecated`;
  if (preset.desiredInstances === null) return 'the preset asks for no prebuilds';
  return null;
}

/** Calls the resolver and guards the pass against a result that is not a count. */
function resolve(
  preset: PresetRow,
  now: Date,
  resolveDesired: DesiredResolver,
): { desired: number; schedule: ScheduleInForce } {
  const instances = preset.desiredInstances ?? 0;
  const result: DesiredResult = resolveDesired(
    { instances, timezone: preset.schedulingTimezone, schedules: preset.schedules },
    now,
  );
  if (!Number.isSafeInteger(result.desired) || result.desired < 0) {
    return {
      desired: instances,
      schedule: {
        index: null,
        cron: null,
        error: `schedule evaluation gave ${String(result.desired)}, not a count; using instances`,
      },
    };
  }
  const index = result.schedule;
  return {
    desired: result.desired,
    schedule: {
      index,
      cron: index === null ? null : (preset.schedules[index]?.cron ?? null),
      error: result.error ?? null,
    },
  };
}

const zeroWindows = (): DemandWindows['claims'] =>
  Object.fromEntries(DEMAND_WINDOWS.map((w) => [w, 0])) as DemandWindows['claims'];
const NO_DEMAND: DemandWindows = { claims: zeroWindows(), misses: zeroWindows() };

const scheduledOnly = (desired: number): TargetDecision => ({
  desired,
  scheduledTarget: desired,
  source: 'scheduled',
  error: null,
  forecast: null,
});

/** The autoscaling decision of an active preset over its scheduled target. */
function decide(
  ps: PresetSnapshot,
  scheduledTarget: number,
  counts: { valid: number; eligible: number; expired: number },
  now: Date,
  options: PrebuildOptions,
): TargetDecision {
  const { preset } = ps;
  const unreadable = preset.autoscalingError ?? null;
  if (unreadable !== null) {
    return {
      ...scheduledOnly(scheduledTarget),
      source: unreadable.kind === 'forecast' ? 'forecast_fallback' : 'expression_fallback',
      error: unreadable.message,
    };
  }
  const policy = preset.autoscaling ?? null;
  if (policy === null) return scheduledOnly(scheduledTarget);
  const input = ps.autoscaling ?? null;
  return decideTarget(
    policy,
    {
      scheduledTarget,
      counts: {
        running: counts.valid,
        eligible: counts.eligible,
        starting: ps.inProgress.start,
        stopping: ps.inProgress.stop,
        deleting: ps.inProgress.delete,
        expired: counts.expired,
      },
      demand: input?.demand ?? NO_DEMAND,
      history: input?.history ?? null,
      measuredLeadTimeMs: input?.measuredLeadTimeMs ?? null,
      timezone: preset.schedulingTimezone,
    },
    now,
    options.autoscaling ?? DEFAULT_AUTOSCALING_SETTINGS,
  );
}

export function calculateState(
  ps: PresetSnapshot,
  now: Date,
  options: PrebuildOptions,
  resolveDesired: DesiredResolver,
  classified: Classified = classify(ps, now, options),
): PresetState {
  const { preset } = ps;
  const whyInactive = inactiveReason(preset);
  const active = whyInactive === null;
  const { valid, expired, cleanupDue, failedDeletes } = classified;
  const scheduled = active ? resolve(preset, now, resolveDesired) : { desired: 0, schedule: null };
  const { schedule } = scheduled;
  const eligible = active ? valid.filter((prebuild) => prebuild.ready).length : 0;
  const target = active
    ? decide(
        ps,
        scheduled.desired,
        { valid: valid.length, eligible, expired: expired.length },
        now,
        options,
      )
    : scheduledOnly(0);
  const desired = target.desired;

  const starting = ps.inProgress.start;
  const missing = active ? Math.min(Math.max(desired - valid.length - starting, 0), desired) : 0;

  const until = active
    ? backoffUntil(ps.backoff, options.backoffBaseMs, options.backoffCapMs)
    : null;
  const inBackoff = until !== null && now.getTime() < until.getTime();
  const limit = options.failureHardLimit;
  const streak = ps.failureStreak;
  const hardLimited =
    active && limit > 0 && streak !== null && streak.considered >= limit && streak.failed >= limit;

  const status: PrebuildStatus = !active
    ? preset.prebuildStatus
    : hardLimited
      ? 'hard_limited'
      : preset.prebuildStatus === 'validation_failed'
        ? 'validation_failed'
        : 'healthy';

  let creationBlocked: string | null = null;
  if (missing === 0) {
    creationBlocked = null;
  } else if (status === 'validation_failed') {
    creationBlocked = 'a creation failed validation; push a new template version to retry';
  } else if (hardLimited) {
    const last = streak?.lastFailureAt ? `, the last at ${streak.lastFailureAt.toISOString()}` : '';
    creationBlocked = `hard limit: the last ${limit} creation builds failed${last}; reset the preset or push a new version`;
  } else if (inBackoff) {
    creationBlocked = `backing off until ${until.toISOString()} after ${ps.backoff?.failedCount ?? 0} consecutive creation failures`;
  }

  return {
    active,
    inactiveReason: whyInactive,
    desired,
    target,
    schedule,
    running: valid.length + expired.length,
    valid: valid.length,
    eligible,
    expired: expired.length,
    extraneous: active ? Math.max(valid.length - desired, 0) : 0,
    starting,
    stopping: ps.inProgress.stop,
    deleting: ps.inProgress.delete,
    pendingInactive: active ? 0 : ps.pendingInactive,
    stoppedOrFailed: cleanupDue.length,
    failedDeletes,
    missing,
    recentFailures: active ? (ps.backoff?.failedCount ?? 0) : 0,
    backoffUntil: inBackoff ? until : null,
    hardLimited,
    status,
    storedStatus: preset.prebuildStatus,
    creationBlocked,
  };
}
