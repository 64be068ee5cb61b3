import { nextAllowedAutostart, tryParseAutostartSchedule } from './schedule.js';
import {
  autostopAt,
  isJobFinished,
  type LifecycleBuild,
  type LifecycleJob,
  type LifecycleOwner,
  type LifecycleTemplate,
  type LifecycleWorkspace,
  SYSTEM_USER_ID,
} from './types.js';

export type LifecycleOperation = 'start' | 'stop' | 'delete' | 'dormant';
export type LifecycleReason = 'autostart' | 'autostop' | 'dormancy' | 'failedstop' | 'autodelete';

export interface LifecycleTransition {
  readonly operation: LifecycleOperation;
  /** The build reason of the build the executor creates (or of the dormancy mark). */
  readonly reason: LifecycleReason;
  /** The instant the transition became due (never after `now`). */
  readonly dueAt: Date;
}

/** A failed delete is retried once this long after it finished (builds are expensive). */
export const FAILED_DELETE_RETRY_MS = 24 * 3_600_000;

interface Facts {
  readonly workspace: LifecycleWorkspace;
  readonly build: LifecycleBuild;
  readonly job: LifecycleJob;
  readonly template: LifecycleTemplate;
  readonly owner: LifecycleOwner;
  readonly now: number;
}

const at = (ms: number) => new Date(ms);

/**
 * Autostop: the running build reached its deadline (or max_deadline when it has no deadline),
 * not a millisecond early, or its owner is suspended. Never for a failed build, a dormant
 * workspace (dormancy has its own stop), or a build without deadline and max_deadline.
 */
function autostop(f: Facts): LifecycleTransition | null {
  if (f.job.status === 'failed' || f.workspace.dormantAt !== null) return null;
  if (f.build.transition !== 'start') return null;
  const stopAt = autostopAt(f.build)?.getTime() ?? null;
  if (f.owner.status === 'suspended') {
    return {
      operation: 'stop',
      reason: 'autostop',
      dueAt: at(stopAt !== null && stopAt <= f.now ? stopAt : f.now),
    };
  }
  if (stopAt === null || f.now < stopAt) return null;
  return { operation: 'stop', reason: 'autostop', dueAt: at(stopAt) };
}

/**
 * Autostart: a stopped workspace of an active owner whose schedule fired since its latest build
 * (so a start missed while the controller was down fires once, on the next tick) and not before
 * the cached `next_start_at` (which a schedule change moves to the next fire after the change, so
 * editing a schedule never starts a workspace at once).
 */
function autostart(f: Facts): LifecycleTransition | null {
  if (f.owner.status !== 'active' || f.job.status === 'failed') return null;
  if (f.workspace.dormantAt !== null || f.build.transition !== 'stop') return null;
  if (!f.template.allowUserAutostart) return null;
  const schedule = tryParseAutostartSchedule(f.workspace.autostartSchedule);
  if (!schedule) return null;
  const fromBuild = nextAllowedAutostart(schedule, f.build.createdAt, f.template);
  if (!fromBuild) return null;
  const cached = f.workspace.nextStartAt?.getTime() ?? -Infinity;
  const due = Math.max(fromBuild.getTime(), cached);
  return f.now >= due ? { operation: 'start', reason: 'autostart', dueAt: at(due) } : null;
}

/** A failed start or stop is stopped once `failure_ttl` has passed since it finished. */
function failedCleanup(f: Facts): LifecycleTransition | null {
  if (f.template.failureTtlMs <= 0 || f.job.status !== 'failed') return null;
  if (f.build.transition !== 'start' && f.build.transition !== 'stop') return null;
  const completed = f.job.completedAt?.getTime();
  if (completed === undefined || f.now - completed <= f.template.failureTtlMs) return null;
  return {
    operation: 'stop',
    reason: 'failedstop',
    dueAt: at(completed + f.template.failureTtlMs),
  };
}

/** Unused for longer than `time_til_dormant`: a running workspace is stopped, any other one only marked. */
function dormancy(f: Facts): LifecycleTransition | null {
  if (f.workspace.dormantAt !== null || f.template.timeTilDormantMs <= 0) return null;
  const lastUsed = f.workspace.lastUsedAt.getTime();
  if (f.now - lastUsed <= f.template.timeTilDormantMs) return null;
  return {
    operation: f.build.transition === 'start' ? 'stop' : 'dormant',
    reason: 'dormancy',
    dueAt: at(lastUsed + f.template.timeTilDormantMs),
  };
}

/** A dormant workspace past `deleting_at` is deleted; a failed delete waits 24 h before a retry. */
function autodelete(f: Facts): LifecycleTransition | null {
  const { dormantAt, deletingAt } = f.workspace;
  if (dormantAt === null || deletingAt === null || f.template.timeTilDormantAutodeleteMs <= 0) {
    return null;
  }
  if (f.now <= deletingAt.getTime()) return null;
  if (f.build.transition === 'delete' && f.job.status === 'failed') {
    const finished = (f.job.canceledAt ?? f.job.completedAt)?.getTime();
    if (finished === undefined || f.now - finished <= FAILED_DELETE_RETRY_MS) return null;
    return {
      operation: 'delete',
      reason: 'autodelete',
      dueAt: at(finished + FAILED_DELETE_RETRY_MS),
    };
  }
  return { operation: 'delete', reason: 'autodelete', dueAt: deletingAt };
}

const RULES = [autostop, autostart, failedCleanup, dormancy, autodelete] as const;

/**
 * What the lifecycle must do to a workspace at `now`, or null. Rules in priority order (first
 * match wins): autostop, autostart, failed-build cleanup, dormancy, dormant auto-delete.
 * Prebuilt workspaces (owned by the system user), deleted workspaces, workspaces without a build
 * and workspaces whose latest job has not finished are never touched.
 */
export function nextTransition(
  workspace: LifecycleWorkspace,
  latestBuild: LifecycleBuild | null,
  job: LifecycleJob | null,
  template: LifecycleTemplate,
  owner: LifecycleOwner,
  now: Date,
): LifecycleTransition | null {
  if (workspace.deleted || workspace.ownerId === SYSTEM_USER_ID || owner.id === SYSTEM_USER_ID) {
    return null;
  }
  if (!latestBuild || !job || !isJobFinished(job)) return null;
  const facts: Facts = { workspace, build: latestBuild, job, template, owner, now: now.getTime() };
  for (const rule of RULES) {
    const transition = rule(facts);
    if (transition) return transition;
  }
  return null;
}
