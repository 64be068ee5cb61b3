import type { DesiredResolver } from '../schedule/types.js';
import { actionsFromState, type PrebuildAction } from './actions.js';
import { classify } from './classify.js';
import { groupByPreset } from './group.js';
import type { PrebuildOptions } from './options.js';
import { calculateState, type PresetState } from './state.js';
import type { GlobalSnapshot, PresetRow } from './types.js';

export interface PresetPlan {
  readonly preset: PresetRow;
  readonly state: PresetState;
  readonly actions: readonly PrebuildAction[];
}

/**
 * State and actions of every preset in the snapshot, in the snapshot's order. The reconciler
 * executes the actions, `prebuilds plan` prints them, status and the gauges read the state.
 * The resolver must not throw (schedule errors come back in its result); callers that want
 * per-preset isolation anyway can call `calculateState`/`actionsFromState` per preset.
 */
export function planAll(
  snapshot: GlobalSnapshot,
  now: Date,
  options: PrebuildOptions,
  resolveDesired: DesiredResolver,
): PresetPlan[] {
  return groupByPreset(snapshot).map((ps) => {
    // Sorted and split once, shared by the state and the actions.
    const classified = classify(ps, now, options);
    const state = calculateState(ps, now, options, resolveDesired, classified);
    return {
      preset: ps.preset,
      state,
      actions: actionsFromState(ps, state, now, options, classified),
    };
  });
}
