import type { Db } from '../db/sql-files.js';
import {
  activityBumpDeadline,
  nextAllowedAutostart,
  parseAutostartSchedule,
  tryParseAutostartSchedule,
  type Validated,
  validateAutostartSchedule,
  validateExtend,
  validateTtl,
} from '../domain/lifecycle/index.js';
import { AppError, conflict } from '../http/errors.js';
import { enqueueWorkspaceBuild } from '../jobs/enqueue.js';
import { markDormant } from '../lifecycle/dormancy.js';
import {
  applyActivityBump,
  clearWorkspaceDormant,
  extendWorkspaceDeadline,
  lifecycleStateByWorkspace,
  resetRunningDeadline,
  setWorkspaceAutostart,
  setWorkspaceTtl,
  touchWorkspaceLastUsed,
} from '../lifecycle/queries.js';
import { invalidField, withLockedWorkspace } from './locked.js';
import { requireWorkspaceView, type WorkspaceJson, workspaceJson } from './view.js';

/**
 * The workspace schedule changes of the API and CLI. Each validates with the lifecycle domain
 * (src/domain/lifecycle/validation.ts: 400 naming the field), changes the workspace under its
 * advisory lock, and answers with the workspace as it is afterwards.
 */

function valid<T>(result: Validated<T>): { value: T; warnings: readonly string[] } {
  if (result.ok) return { value: result.value, warnings: result.warnings };
  throw new AppError(
    400,
    'bad_request',
    `invalid ${result.problems.map((p) => p.field).join(', ')}`,
    result.problems.map((p) => ({ path: p.field, message: p.reason })),
  );
}

async function reread(db: Db, id: string): Promise<WorkspaceJson> {
  return workspaceJson(await requireWorkspaceView(db, id));
}

/**
 * Sets or removes (null) the autostart schedule. The next start counts from now, so a new schedule
 * never starts the workspace for a time already past today. 400 when the template forbids user
 * autostart; a schedule that only fires on days the template blocks is kept with a warning.
 */
export async function setAutostart(db: Db, ref: string, schedule: string | null, now: Date) {
  return withLockedWorkspace(
    db,
    ref,
    async (tx, workspace) => {
      const template = {
        allowUserAutostart: workspace.allow_user_autostart,
        autostartBlockDaysOfWeek: workspace.autostart_block_days_of_week,
      };
      const { value, warnings } = valid(validateAutostartSchedule(schedule, template));
      const next =
        value === null ? null : nextAllowedAutostart(parseAutostartSchedule(value), now, template);
      await setWorkspaceAutostart.one(tx, {
        workspace_id: workspace.id,
        schedule: value,
        // A dormant workspace never autostarts: its next start is computed when it wakes up.
        next_start_at: workspace.dormant_at === null ? next : null,
        now,
      });
      return { ...(await reread(tx, workspace.id)), warnings };
    },
    { wake: true },
  );
}

/**
 * Sets or removes (null) the TTL: 1 minute to 30 days, whole minutes. A new TTL applies from the
 * next start; removing it clears the running build's deadline (it stops at max_deadline, if any).
 */
export async function setTtl(db: Db, ref: string, ttlMs: number | null, now: Date) {
  return withLockedWorkspace(
    db,
    ref,
    async (tx, workspace) => {
      const { value } = valid(
        validateTtl(ttlMs, { allowUserAutostop: workspace.allow_user_autostop }),
      );
      await setWorkspaceTtl.one(tx, { workspace_id: workspace.id, ttl_ms: value, now });
      if (value === null) await resetRunningDeadline.any(tx, { workspace_id: workspace.id, now });
      return reread(tx, workspace.id);
    },
    { wake: true },
  );
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A new deadline for the running build: at least 30 minutes ahead, not past max_deadline. */
export async function extendDeadline(db: Db, ref: string, deadline: string, now: Date) {
  if (!ISO_INSTANT.test(deadline.trim())) {
    throw invalidField(
      'deadline',
      'must be an ISO 8601 timestamp with a time zone, e.g. 2025-06-04T18:30:00Z',
    );
  }
  const wanted = new Date(deadline.trim());
  return withLockedWorkspace(db, ref, async (tx, workspace) => {
    const row = await lifecycleStateByWorkspace.maybeOne(tx, { workspace_id: workspace.id });
    const build = row
      ? {
          transition: row.transition,
          jobStatus: row.job_status,
          jobCompletedAt: row.job_completed_at,
          deadline: row.deadline,
          maxDeadline: row.max_deadline,
        }
      : null;
    const { value } = valid(validateExtend(wanted, build, now));
    const extended = await extendWorkspaceDeadline.maybeOne(tx, {
      workspace_id: workspace.id,
      build_id: row!.build_id,
      deadline: value,
      now,
    });
    if (!extended)
      throw conflict(`the deadline of workspace ${workspace.name} changed meanwhile; retry`);
    return reread(tx, workspace.id);
  });
}

/**
 * Dormant on: marked dormant now (deleting_at from the template's autodelete), the owner is
 * notified, and a running workspace is stopped (build reason `dormancy`). Dormant off: back in use
 * (last_used_at = now, no deletion date), its next autostart counted from now. Idempotent.
 */
export async function setDormant(db: Db, ref: string, dormant: boolean, now: Date) {
  return withLockedWorkspace(
    db,
    ref,
    async (tx, workspace) => {
      if (dormant && workspace.dormant_at === null) {
        await markDormant(
          tx,
          {
            workspaceId: workspace.id,
            workspaceName: workspace.name,
            ownerId: workspace.owner_id,
            templateId: workspace.template_id,
            organizationId: workspace.organization_id,
          },
          'it was marked dormant on request',
          'workspace_api',
          now,
        );
        if (workspace.build_transition === 'start' && workspace.build_status === 'succeeded') {
          await enqueueWorkspaceBuild(tx, {
            workspaceId: workspace.id,
            transition: 'stop',
            reason: 'dormancy',
            initiatorId: workspace.owner_id,
            now,
          });
        }
      } else if (!dormant && workspace.dormant_at !== null) {
        const template = { autostartBlockDaysOfWeek: workspace.autostart_block_days_of_week };
        const schedule = tryParseAutostartSchedule(workspace.autostart_schedule);
        const next = schedule ? nextAllowedAutostart(schedule, now, template) : null;
        await clearWorkspaceDormant.one(tx, {
          workspace_id: workspace.id,
          now,
          next_start_at: next,
        });
      }
      return reread(tx, workspace.id);
    },
    { wake: true },
  );
}

/**
 * User activity: last_used_at = now, and the running build's deadline moves as activity bumps do
 * (activityBumpDeadline: only a succeeded start with a deadline, by the template's activity_bump,
 * once 5% of it elapsed, never earlier, never past max_deadline). `bumped` tells whether it moved.
 */
export async function recordActivity(db: Db, ref: string, now: Date) {
  return withLockedWorkspace(db, ref, async (tx, workspace) => {
    await touchWorkspaceLastUsed.one(tx, { workspace_id: workspace.id, now });
    const row = await lifecycleStateByWorkspace.maybeOne(tx, { workspace_id: workspace.id });
    let bumped = false;
    if (row && row.deadline) {
      const deadline = activityBumpDeadline({
        now,
        build: {
          transition: row.transition,
          jobStatus: row.job_status,
          deadline: row.deadline,
          maxDeadline: row.max_deadline,
        },
        workspace: { ttlMs: row.ttl, autostartSchedule: row.autostart_schedule },
        template: {
          activityBumpMs: row.activity_bump,
          allowUserAutostop: row.allow_user_autostop,
          defaultTtlMs: row.default_ttl,
          autostartBlockDaysOfWeek: row.autostart_block_days_of_week,
        },
      });
      if (deadline) {
        const applied = await applyActivityBump.maybeOne(tx, {
          build_id: row.build_id,
          expected_deadline: row.deadline,
          deadline,
          now,
        });
        bumped = applied !== null;
      }
    }
    return { ...(await reread(tx, workspace.id)), bumped };
  });
}
