import { describe, expect, it } from 'vitest';

import { planAll } from '../../../src/domain/prebuilds/plan.js';
import {
  presetPlanJson,
  presetStatusJson,
  statusChange,
} from '../../../src/domain/prebuilds/report.js';
import type { GlobalSnapshot } from '../../../src/domain/prebuilds/types.js';
import { resolveDesired } from '../../../src/domain/schedule/evaluate.js';
import { ago, HOUR, MIN, NOW, options, presetRow, running } from './builders.js';

function snapshot(over: Partial<GlobalSnapshot> = {}): GlobalSnapshot {
  return {
    presets: [presetRow()],
    running: [],
    inProgress: [],
    pendingInactive: [],
    stoppedOrFailed: [],
    backoffs: [],
    failureStreaks: [],
    ...over,
  };
}

describe('status and plan JSON', () => {
  it('status: the counts, the schedule in force and the next change (real schedule evaluator)', () => {
    const [plan] = planAll(
      snapshot({
        presets: [
          presetRow({
            desiredInstances: 1,
            schedulingTimezone: 'UTC',
            // NOW is Monday 12:00 UTC.
            schedules: [{ cron: '* 8-18 * * 1-5', instances: 3 }],
          }),
        ],
        running: [running('a', HOUR), running('b', MIN, { ready: false })],
        inProgress: [{ presetId: 'preset-1', transition: 'start', count: 1 }],
      }),
      NOW,
      options(),
      resolveDesired,
    );
    expect(presetStatusJson(plan!, NOW)).toMatchObject({
      id: 'preset-1',
      template: 'dev-env',
      preset: 'us-nix',
      organization: 'default',
      template_version: 'v2',
      desired: 3,
      running: 2,
      ready: 1,
      starting: 1,
      stopping: 0,
      deleting: 0,
      expired: 0,
      backoff_until: null,
      status: 'healthy',
      schedule: {
        current: '* 8-18 * * 1-5',
        index: 0,
        next_change_at: '2026-03-02T19:00:00.000Z',
        next_desired: 1,
        error: null,
      },
    });
  });

  it('an invalid stored schedule falls back to instances and says why', () => {
    const [plan] = planAll(
      snapshot({
        presets: [
          presetRow({
            desiredInstances: 2,
            schedulingTimezone: 'Mars/Olympus',
            schedules: [{ cron: '* 8-18 * * *', instances: 5 }],
          }),
        ],
      }),
      NOW,
      options(),
      resolveDesired,
    );
    const json = presetStatusJson(plan!, NOW);
    expect(json.desired).toBe(2);
    expect(json.schedule.current).toBeNull();
    expect(json.schedule.error).toMatch(/Mars\/Olympus/);
  });

  it('plan: every action with its reason; delete lists the workspaces and why each goes', () => {
    const [plan] = planAll(
      snapshot({
        presets: [presetRow({ desiredInstances: 1, lastInvalidatedAt: ago(30 * MIN) })],
        running: [running('old', HOUR), running('new', MIN)],
      }),
      NOW,
      options(),
      resolveDesired,
    );
    const json = presetPlanJson(plan!);
    expect(json.status_change).toBeNull();
    expect(json.actions).toEqual([
      {
        type: 'delete',
        count: 1,
        workspace_ids: ['old'],
        reasons: { old: expect.stringContaining('invalidated') },
        reason: 'delete 1: 1 expired',
      },
    ]);
  });

  it('reports the status the next pass writes: hard limit reached, and lifted', () => {
    const limited = planAll(
      snapshot({
        failureStreaks: [
          { presetId: 'preset-1', considered: 3, failed: 3, lastFailureAt: ago(MIN) },
        ],
      }),
      NOW,
      options(),
      resolveDesired,
    );
    expect(statusChange(limited[0]!)).toEqual({ from: 'healthy', to: 'hard_limited' });
    expect(presetPlanJson(limited[0]!).actions).toEqual([]);
    const lifted = planAll(
      snapshot({ presets: [presetRow({ prebuildStatus: 'hard_limited' })] }),
      NOW,
      options(),
      resolveDesired,
    );
    expect(statusChange(lifted[0]!)).toEqual({ from: 'hard_limited', to: 'healthy' });
    // An inactive preset's stored status is left as it is.
    const inactive = planAll(
      snapshot({
        presets: [presetRow({ usingActiveVersion: false, prebuildStatus: 'hard_limited' })],
      }),
      NOW,
      options(),
      resolveDesired,
    );
    expect(statusChange(inactive[0]!)).toBeNull();
  });
});
