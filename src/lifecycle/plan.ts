import {
  decideLifecycle,
  type LifecycleTransition,
  nextAllowedAutostart,
  nextStartAtFor,
  tryParseAutostartSchedule,
} from '../domain/lifecycle/index.js';
import { type LifecycleStateRow, toLifecycleState } from './state.js';

/** One lifecycle job the scheduler wants open for a workspace. */
export interface PlannedJob {
  readonly workspaceId: string;
  readonly operation: LifecycleTransition['operation'];
  readonly reason: LifecycleTransition['reason'];
  /** When it became due (never after the tick). */
  readonly deadline: Date;
}

/** A planned job with the state it was decided from, re-checked when it is inserted. */
export interface PlannedDecision extends PlannedJob {
  /** The workspace's latest build when the decision was made. */
  readonly buildId: string;
  /** The lifecycle job open for the workspace then (null for none). */
  readonly openJobId: string | null;
}

export interface TickPlan {
  readonly jobs: readonly PlannedDecision[];
  /** Workspaces whose autostop reminder is due (seed 001 flow, after the jobs are written). */
  readonly reminders: readonly string[];
  /** Cached next starts to write: missing, or passed without an autostart being due. */
  readonly nextStarts: readonly { readonly workspaceId: string; readonly at: Date | null }[];
}

/**
 * The next start to cache for a candidate, or undefined to leave it. An autostart that is due
 * leaves it alone (the build's completion refreshes it). Otherwise a missing or passed value is
 * recomputed from the latest build; if even that has passed (the owner is suspended, the last
 * build failed, the workspace runs), it counts from the tick, so the row stops being a candidate
 * until the next fire.
 */
function nextStartFor(
  row: LifecycleStateRow,
  transition: LifecycleTransition | null,
  now: Date,
): Date | null | undefined {
  if (row.autostart_schedule === null || row.dormant_at !== null) return undefined;
  if (transition?.operation === 'start') return undefined;
  const cached = row.next_start_at;
  if (cached !== null && cached.getTime() > now.getTime()) return undefined;
  const template = { autostartBlockDaysOfWeek: row.autostart_block_days_of_week };
  let next = nextStartAtFor(
    row.autostart_schedule,
    template,
    { transition: row.transition, createdAt: row.build_created_at },
    now,
  );
  if (next !== null && next.getTime() <= now.getTime()) {
    const schedule = tryParseAutostartSchedule(row.autostart_schedule);
    next = schedule ? nextAllowedAutostart(schedule, now, template) : null;
  }
  return next?.getTime() === cached?.getTime() ? undefined : next;
}

/**
 * The scheduler's decisions for one tick from the candidate rows: a pure function of the rows and
 * the tick, so it is tested without a database.
 */
export function planTick(
  rows: readonly LifecycleStateRow[],
  now: Date,
  options: { readonly activeWindowMs: number },
): TickPlan {
  const jobs: PlannedDecision[] = [];
  const reminders: string[] = [];
  const nextStarts: { workspaceId: string; at: Date | null }[] = [];
  for (const row of rows) {
    const decision = decideLifecycle(toLifecycleState(row), now, options);
    if (decision.transition) {
      jobs.push({
        workspaceId: row.workspace_id,
        operation: decision.transition.operation,
        reason: decision.transition.reason,
        deadline: decision.transition.dueAt,
        buildId: row.build_id,
        openJobId: row.lifecycle_job_id,
      });
    }
    if (decision.remind) reminders.push(row.workspace_id);
    const next = nextStartFor(row, decision.transition, now);
    if (next !== undefined) nextStarts.push({ workspaceId: row.workspace_id, at: next });
  }
  return { jobs, reminders, nextStarts };
}
