import type {
  LifecycleBuild,
  LifecycleJob,
  LifecycleOwner,
  LifecycleState,
  LifecycleTemplate,
  LifecycleWorkspace,
} from '../../../src/domain/lifecycle/index.js';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const t = (iso: string) => new Date(iso);
export const plus = (at: Date, ms: number) => new Date(at.getTime() + ms);

export const baseTemplate: LifecycleTemplate = {
  allowUserAutostart: true,
  allowUserAutostop: true,
  defaultTtlMs: 0,
  activityBumpMs: HOUR,
  autostopRequirementDaysOfWeek: 0,
  autostopRequirementWeeks: 1,
  autostartBlockDaysOfWeek: 0,
  failureTtlMs: 0,
  timeTilDormantMs: 0,
  timeTilDormantAutodeleteMs: 0,
  timeTilAutostopNotifyMs: 0,
};

export interface StateOverrides {
  workspace?: Partial<LifecycleWorkspace>;
  build?: Partial<LifecycleBuild> | null;
  job?: Partial<LifecycleJob> | null;
  template?: Partial<LifecycleTemplate>;
  owner?: Partial<LifecycleOwner>;
}

/** A running workspace of an active user, built at `builtAt`, used at `builtAt`. */
export function makeState(builtAt: Date, overrides: StateOverrides = {}): LifecycleState {
  const workspace: LifecycleWorkspace = {
    id: 'ws-1',
    ownerId: 'user-1',
    deleted: false,
    autostartSchedule: null,
    nextStartAt: null,
    ttlMs: null,
    lastUsedAt: builtAt,
    dormantAt: null,
    deletingAt: null,
    ...overrides.workspace,
  };
  const latestBuild: LifecycleBuild | null =
    overrides.build === null
      ? null
      : {
          id: 'build-1',
          transition: 'start',
          createdAt: builtAt,
          deadline: null,
          maxDeadline: null,
          notifiedAutostopDeadline: null,
          ...overrides.build,
        };
  const job: LifecycleJob | null =
    overrides.job === null
      ? null
      : { status: 'succeeded', completedAt: builtAt, canceledAt: null, ...overrides.job };
  return {
    workspace,
    latestBuild,
    job,
    template: { ...baseTemplate, ...overrides.template },
    owner: { id: workspace.ownerId, status: 'active', ...overrides.owner },
  };
}
