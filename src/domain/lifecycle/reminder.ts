import { nextTransition, type LifecycleTransition } from './transition.js';
import { autostopAt, type LifecycleState, SYSTEM_USER_ID } from './types.js';

/** Users active this recently are not reminded when activity bumps would move the deadline. */
export const DEFAULT_REMINDER_ACTIVE_WINDOW_MS = 15 * 60_000;

export interface ReminderOptions {
  readonly activeWindowMs?: number;
}

/**
 * Whether to send the autostop reminder for the latest build at `now` (seed 001):
 * - the template opts in (`time_til_autostop_notify` > 0) and the build is a succeeded start of a
 *   non-dormant workspace;
 * - its stop instant (deadline, else max_deadline) is in the window `(now, now + notify]`: never
 *   once the stop is due, inclusive at the far edge;
 * - not for a user active within the last `activeWindowMs` (15 min) when activity bumps are on and
 *   max_deadline does not cap the deadline inside the window (the bump would move it anyway);
 * - once per stop instant: `notified_autostop_deadline` equal to it means already sent, and any
 *   change of the deadline (bump, extend) re-arms it.
 * Callers also require that no transition is due (see `decideLifecycle`).
 */
export function shouldRemindAutostop(
  state: LifecycleState,
  now: Date,
  options: ReminderOptions = {},
): boolean {
  const { workspace, latestBuild: build, job, template } = state;
  if (workspace.deleted || workspace.ownerId === SYSTEM_USER_ID) return false;
  if (!build || !job || job.status !== 'succeeded' || build.transition !== 'start') return false;
  if (workspace.dormantAt !== null || template.timeTilAutostopNotifyMs <= 0) return false;
  const stopAt = autostopAt(build)?.getTime();
  if (stopAt === undefined) return false;
  const t = now.getTime();
  const windowEnd = t + template.timeTilAutostopNotifyMs;
  if (stopAt <= t || stopAt > windowEnd) return false;
  const activeWindow = options.activeWindowMs ?? DEFAULT_REMINDER_ACTIVE_WINDOW_MS;
  const userActive = t - workspace.lastUsedAt.getTime() < activeWindow;
  const maxDeadlineTraps = build.maxDeadline !== null && build.maxDeadline.getTime() <= windowEnd;
  if (userActive && template.activityBumpMs > 0 && !maxDeadlineTraps) return false;
  return build.notifiedAutostopDeadline?.getTime() !== stopAt;
}

export interface LifecycleDecision {
  readonly transition: LifecycleTransition | null;
  /** Send the autostop reminder (only ever when no transition is due). */
  readonly remind: boolean;
}

/** The scheduler's whole decision for one workspace at `now`. */
export function decideLifecycle(
  state: LifecycleState,
  now: Date,
  options: ReminderOptions = {},
): LifecycleDecision {
  const transition = nextTransition(
    state.workspace,
    state.latestBuild,
    state.job,
    state.template,
    state.owner,
    now,
  );
  return { transition, remind: transition === null && shouldRemindAutostop(state, now, options) };
}
