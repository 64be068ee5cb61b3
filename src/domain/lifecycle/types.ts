/**
 * What the lifecycle decisions look at: one workspace, its latest build and that build's job, its
 * template's scheduling options and its owner. All durations are milliseconds; NULL columns are
 * `null`.
 */

/** The prebuilds system user: its workspaces are never touched by the lifecycle. */
export const SYSTEM_USER_ID = 'c42fdf75-3097-471c-8c33-fb52454d81c0';

export type Transition = 'start' | 'stop' | 'delete';
export type JobStatus = 'pending' | 'running' | 'succeeded' | 'canceling' | 'canceled' | 'failed';
export type UserStatus = 'active' | 'suspended' | 'dormant';

export interface LifecycleWorkspace {
  readonly id: string;
  readonly ownerId: string;
  readonly deleted: boolean;
  readonly autostartSchedule: string | null;
  /** Cached next autostart (see `nextStartAtFor`); null = not computed. */
  readonly nextStartAt: Date | null;
  readonly ttlMs: number | null;
  readonly lastUsedAt: Date;
  readonly dormantAt: Date | null;
  readonly deletingAt: Date | null;
}

export interface LifecycleBuild {
  readonly id: string;
  readonly transition: Transition;
  readonly createdAt: Date;
  readonly deadline: Date | null;
  readonly maxDeadline: Date | null;
  readonly notifiedAutostopDeadline: Date | null;
}

export interface LifecycleJob {
  readonly status: JobStatus;
  readonly completedAt: Date | null;
  readonly canceledAt: Date | null;
}

export interface LifecycleTemplate {
  readonly allowUserAutostart: boolean;
  readonly allowUserAutostop: boolean;
  readonly defaultTtlMs: number;
  readonly activityBumpMs: number;
  /** Bit 0 = Monday. */
  readonly autostopRequirementDaysOfWeek: number;
  /** 1..16: the requirement applies every N weeks counted from Monday 2023-01-02. */
  readonly autostopRequirementWeeks: number;
  /** Days on which autostart is NOT allowed; bit 0 = Monday. */
  readonly autostartBlockDaysOfWeek: number;
  readonly failureTtlMs: number;
  readonly timeTilDormantMs: number;
  readonly timeTilDormantAutodeleteMs: number;
  readonly timeTilAutostopNotifyMs: number;
}

export interface LifecycleOwner {
  readonly id: string;
  readonly status: UserStatus;
}

/** A full snapshot of one workspace as the scheduler and the executor read it. */
export interface LifecycleState {
  readonly workspace: LifecycleWorkspace;
  /** Null when the workspace has no build yet. */
  readonly latestBuild: LifecycleBuild | null;
  readonly job: LifecycleJob | null;
  readonly template: LifecycleTemplate;
  readonly owner: LifecycleOwner;
}

/** The instant the running build must stop: its deadline, else its max_deadline, else never. */
export function autostopAt(build: LifecycleBuild): Date | null {
  return build.deadline ?? build.maxDeadline;
}

export function isJobFinished(job: LifecycleJob): boolean {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'canceled';
}
