import type { TargetDecision } from '../autoscaling/types.js';
import { nextChange } from '../schedule/evaluate.js';
import type { PrebuildAction } from './actions.js';
import type { PresetPlan } from './plan.js';
import type { PrebuildStatus, PresetRow } from './types.js';

/**
 * What `prebuilds status`, `GET /api/v1/presets`, `prebuilds plan` and `GET /api/v1/presets/plan`
 * print, derived from the same PresetPlan the reconciler acts on. Field names follow DESIGN
 * section 11 (snake_case, ISO instants); more fields are welcome there, so there are some.
 */

/** A stored-status change the next pass makes (the hard limit is reached or lifted). */
export interface StatusChange {
  readonly from: PrebuildStatus;
  readonly to: PrebuildStatus;
}

/** The status transition the reconciler writes for this preset, or null. */
export function statusChange(plan: PresetPlan): StatusChange | null {
  const { state } = plan;
  if (!state.active || state.status === state.storedStatus) return null;
  return { from: state.storedStatus, to: state.status };
}

function identity(preset: PresetRow) {
  return {
    id: preset.id,
    template: preset.templateName,
    preset: preset.name,
    organization: preset.organizationName,
    template_version: preset.templateVersionName,
    active_version: preset.usingActiveVersion,
  };
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/**
 * How `desired` was decided: the instances/schedule result, the source (`scheduled`,
 * `expression`, `expression_fallback`, `forecast`, `forecast_fallback`), why a policy fell back,
 * and a forecast's figures (lambda in claim attempts per minute, lead time L, expected hit rate).
 */
export function targetJson(target: TargetDecision) {
  const { forecast } = target;
  return {
    scheduled_target: target.scheduledTarget,
    target_source: target.source,
    target_error: target.error,
    forecast: forecast
      ? {
          claim_rate_per_minute: forecast.lambdaPerMinute,
          lead_time_s: forecast.leadTimeMs / 1000,
          lead_time_source: forecast.leadTimeSource,
          expected_hit_rate: forecast.expectedHitRate,
        }
      : null,
  };
}

export function presetStatusJson(plan: PresetPlan, now: Date) {
  const { preset, state } = plan;
  const change = state.active
    ? nextChange(
        {
          instances: preset.desiredInstances ?? 0,
          timezone: preset.schedulingTimezone,
          schedules: preset.schedules,
        },
        now,
      )
    : null;
  return {
    ...identity(preset),
    active: state.active,
    inactive_reason: state.inactiveReason,
    desired: state.desired,
    ...targetJson(state.target),
    running: state.running,
    ready: state.eligible,
    valid: state.valid,
    starting: state.starting,
    stopping: state.stopping,
    deleting: state.deleting,
    expired: state.expired,
    extraneous: state.extraneous,
    missing: state.missing,
    stopped_or_failed: state.stoppedOrFailed,
    failed_deletes: state.failedDeletes.map((failed) => ({
      workspace_id: failed.prebuild.id,
      workspace: failed.prebuild.name,
      failures: failed.failures,
      last_failure_at: failed.prebuild.completedAt.toISOString(),
      retry_at: iso(failed.retryAt),
    })),
    pending_to_cancel: state.pendingInactive,
    backoff_until: iso(state.backoffUntil),
    recent_failures: state.recentFailures,
    status: state.status,
    stored_status: state.storedStatus,
    creation_blocked: state.creationBlocked,
    ttl_secs: preset.ttlSecs,
    last_invalidated_at: iso(preset.lastInvalidatedAt),
    schedule: {
      // The cron of the schedule in force, or null when `instances` applies.
      current: state.schedule?.cron ?? null,
      index: state.schedule?.index ?? null,
      instances: preset.desiredInstances,
      timezone: preset.schedulingTimezone || null,
      error: state.schedule?.error ?? null,
      next_change_at: iso(change?.at ?? null),
      next_desired: change?.desired ?? null,
    },
  };
}

export type PresetStatusJson = ReturnType<typeof presetStatusJson>;

export function actionJson(action: PrebuildAction) {
  switch (action.type) {
    case 'create':
    case 'cancel_pending':
      return { type: action.type, count: action.count, reason: action.reason };
    case 'delete':
      return {
        type: action.type,
        count: action.workspaceIds.length,
        workspace_ids: action.workspaceIds,
        reasons: action.reasons,
        reason: action.reason,
      };
    case 'backoff':
      return { type: action.type, until: action.until.toISOString(), reason: action.reason };
  }
}

export function presetPlanJson(plan: PresetPlan) {
  const change = statusChange(plan);
  return {
    ...identity(plan.preset),
    desired: plan.state.desired,
    ...targetJson(plan.state.target),
    status: plan.state.status,
    status_change: change,
    creation_blocked: plan.state.creationBlocked,
    actions: plan.actions.map(actionJson),
  };
}

export type PresetPlanJson = ReturnType<typeof presetPlanJson>;
