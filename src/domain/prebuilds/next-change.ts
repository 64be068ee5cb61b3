import { nextChange } from '../schedule/evaluate.js';
import type { PresetPlan } from './plan.js';
import type { GlobalSnapshot } from './types.js';

/**
 * The earliest instant after `now` at which a decision made from this snapshot would differ
 * although nothing was written: a preset's backoff ends, a valid prebuild passes its TTL, a
 * schedule changes the desired count, a stopped or failed prebuild leaves the cleanup grace
 * period, a failed delete's backoff ends. Null when nothing is pending. The reconciler passes again then instead of at its next
 * interval, so waits end on time, not up to an interval late. Writes (a build finishing, a claim,
 * a push) wake it by NOTIFY and are not predicted here.
 */
export function nextChangeAt(
  snapshot: Pick<GlobalSnapshot, 'running' | 'graceEndsAt'>,
  plans: readonly PresetPlan[],
  now: Date,
): Date | null {
  const t = now.getTime();
  let next = Infinity;
  const consider = (at: Date | null | undefined) => {
    const ms = at?.getTime();
    if (ms !== undefined && ms > t && ms < next) next = ms;
  };
  consider(snapshot.graceEndsAt);
  const byPreset = new Map(plans.map((plan) => [plan.preset.id, plan]));
  for (const plan of plans) {
    // A failed delete is retried when its backoff ends.
    for (const failed of plan.state.failedDeletes) consider(failed.retryAt);
    if (!plan.state.active) continue;
    consider(plan.state.backoffUntil);
    const { preset } = plan;
    consider(
      nextChange(
        {
          instances: preset.desiredInstances ?? 0,
          timezone: preset.schedulingTimezone,
          schedules: preset.schedules,
        },
        now,
      )?.at,
    );
  }
  for (const prebuild of snapshot.running) {
    const plan = prebuild.presetId === null ? undefined : byPreset.get(prebuild.presetId);
    const ttlMs = (plan?.preset.ttlSecs ?? 0) * 1000;
    // Expired once older than the TTL (strictly; see expiryReason).
    if (plan?.state.active && ttlMs > 0)
      consider(new Date(prebuild.createdAt.getTime() + ttlMs + 1));
  }
  return next === Infinity ? null : new Date(next);
}
