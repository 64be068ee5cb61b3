import { formatDuration } from '../../util/duration.js';
import { backoffDelayMs } from './backoff.js';
import { type Classified, classify, oldestFirst } from './classify.js';
import type { PrebuildOptions } from './options.js';
import { calculateState, type PresetState } from './state.js';
import type { DesiredResolver } from '../schedule/types.js';
import type { PresetSnapshot, RunningPrebuild } from './types.js';

/** What the reconciler does for one preset; `reason` is printed by `prebuilds plan`. */
export type PrebuildAction =
  | { readonly type: 'cancel_pending'; readonly count: number; readonly reason: string }
  | {
      readonly type: 'delete';
      readonly workspaceIds: readonly string[];
      /** Why each workspace goes, keyed by id. */
      readonly reasons: Readonly<Record<string, string>>;
      readonly reason: string;
    }
  | { readonly type: 'create'; readonly count: number; readonly reason: string }
  | { readonly type: 'backoff'; readonly until: Date; readonly reason: string };

/** Not ready before ready (keep what a claim can use now), then oldest first. */
function extraneousOrder(a: RunningPrebuild, b: RunningPrebuild): number {
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  return oldestFirst(a, b);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * The ordered actions for one preset at `now`:
 *
 * 1. Inactive preset (version not active, template deleted or deprecated, no prebuilds asked):
 *    cancel its pending creation jobs, delete every prebuild, expired ones included (Coder skips
 *    the expired ones of old versions: a known bug), and the stopped or failed ones.
 * 2. Active preset: one delete of the expired, then the extraneous (valid - desired; not ready
 *    before ready, then oldest first), then the stopped or failed past their grace period; then
 *    create the missing count, unless creation is blocked (validation failed, hard limit) or
 *    backing off, in which case a backoff action replaces the create.
 *
 * Deletes are never held back by backoff or the hard limit (Coder suppresses everything while
 * backing off): backoff exists to stop paying for builds that fail, and holding back deletes
 * would keep invalidated prebuilds, a pool that should shrink at night, and failed workspaces.
 */
export function actionsFromState(
  ps: PresetSnapshot,
  state: PresetState,
  now: Date,
  options: PrebuildOptions,
  classified: Classified = classify(ps, now, options),
): PrebuildAction[] {
  const actions: PrebuildAction[] = [];
  const { valid, expired, cleanupDue } = classified;
  const deletes: [string, string][] = [];

  if (!state.active) {
    const why = state.inactiveReason ?? 'inactive';
    if (state.pendingInactive > 0) {
      actions.push({
        type: 'cancel_pending',
        count: state.pendingInactive,
        reason: `cancel ${plural(state.pendingInactive, 'pending creation job')}: ${why}`,
      });
    }
    const all = [...valid, ...expired.map((e) => e.prebuild)].sort(oldestFirst);
    for (const prebuild of all) deletes.push([prebuild.id, why]);
  } else {
    for (const { prebuild, reason } of expired) deletes.push([prebuild.id, reason]);
    const extra = [...valid].sort(extraneousOrder).slice(0, state.extraneous);
    for (const prebuild of extra) {
      deletes.push([
        prebuild.id,
        `extraneous: ${state.valid} valid > ${state.desired} desired; ${prebuild.ready ? 'ready' : 'not ready'}, created ${prebuild.createdAt.toISOString()}`,
      ]);
    }
  }
  for (const { prebuild, reason } of cleanupDue) deletes.push([prebuild.id, reason]);

  if (deletes.length > 0) {
    const parts: string[] = [];
    if (!state.active) {
      const running = state.valid + state.expired;
      if (running > 0) parts.push(`${running} running: ${state.inactiveReason}`);
    } else {
      if (expired.length > 0) parts.push(`${expired.length} expired`);
      if (state.extraneous > 0) parts.push(`${state.extraneous} extraneous`);
    }
    if (cleanupDue.length > 0) parts.push(`${cleanupDue.length} stopped or failed`);
    actions.push({
      type: 'delete',
      workspaceIds: deletes.map(([id]) => id),
      reasons: Object.fromEntries(deletes),
      reason: `delete ${deletes.length}: ${parts.join(', ')}`,
    });
  }

  if (state.active && state.missing > 0) {
    const counts = `desired ${state.desired}, valid ${state.valid}, starting ${state.starting}`;
    if (state.status === 'validation_failed' || state.hardLimited) {
      // No action: the state's `creationBlocked` and `status` tell why nothing is created.
    } else if (state.backoffUntil !== null) {
      const failures = state.recentFailures;
      const wait = backoffDelayMs(failures, options.backoffBaseMs, options.backoffCapMs);
      actions.push({
        type: 'backoff',
        until: state.backoffUntil,
        reason: `backoff until ${state.backoffUntil.toISOString()}: ${plural(failures, 'consecutive creation failure')}, waiting ${formatDuration(wait)} after the last; ${state.missing} missing (${counts})`,
      });
    } else {
      actions.push({
        type: 'create',
        count: state.missing,
        reason: `create ${state.missing}: ${counts}`,
      });
    }
  }
  return actions;
}

/** The ordered actions for one preset at `now` (see `actionsFromState`). */
export function calculateActions(
  ps: PresetSnapshot,
  now: Date,
  options: PrebuildOptions,
  resolveDesired: DesiredResolver,
): PrebuildAction[] {
  const classified = classify(ps, now, options);
  const state = calculateState(ps, now, options, resolveDesired, classified);
  return actionsFromState(ps, state, now, options, classified);
}
