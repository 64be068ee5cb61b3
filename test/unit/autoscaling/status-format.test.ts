import { describe, expect, it } from 'vitest';

import { formatPlan, formatStatus } from '../../../src/cli/commands/prebuilds-format.js';
import { planAll } from '../../../src/domain/prebuilds/plan.js';
import type { GlobalSnapshot } from '../../../src/domain/prebuilds/types.js';
import { resolveDesired } from '../../../src/domain/schedule/evaluate.js';
import { planJson, statusJson } from '../../../src/prebuilds/admin.js';
import { HOUR, NOW, options, presetRow } from '../prebuilds/builders.js';

/** What `prebuilds status` and `prebuilds plan` print for presets with autoscaling policies. */

const windows = (claims30: number) => ({
  claims: { 5: 0, 10: 0, 30: claims30, 60: claims30, 120: claims30 },
  misses: { 5: 0, 10: 0, 30: 0, 60: 0, 120: 0 },
});

function snapshot(): GlobalSnapshot {
  return {
    presets: [
      presetRow({ id: 'a', name: 'plain', desiredInstances: 1 }),
      presetRow({
        id: 'b',
        name: 'broken',
        desiredInstances: 2,
        autoscaling: { kind: 'expression', expression: 'claims_10m / misses_10m' },
      }),
      presetRow({
        id: 'c',
        name: 'fore',
        desiredInstances: 0,
        autoscaling: {
          kind: 'forecast',
          targetHitRate: 0.9,
          min: 0,
          max: 30,
          historyMs: 24 * HOUR,
          leadTimeMs: 180_000,
        },
      }),
    ],
    running: [],
    inProgress: [],
    pendingInactive: [],
    stoppedOrFailed: [],
    backoffs: [],
    failureStreaks: [],
    autoscaling: [
      { presetId: 'b', demand: windows(0), history: null, measuredLeadTimeMs: null },
      {
        presetId: 'c',
        demand: windows(60),
        history: {
          attemptsByHourOfWeek: Array.from({ length: 168 }, () => 0),
          since: new Date(NOW.getTime() - 24 * HOUR),
        },
        measuredLeadTimeMs: null,
      },
    ],
  };
}

const view = () => ({
  at: NOW,
  paused: false,
  pauseChange: { by: null, at: null },
  plans: planAll(snapshot(), NOW, options(), resolveDesired),
});

describe('status and plan with autoscaling', () => {
  it('status: a SOURCE column, with the forecast figures; a note for a fallback', () => {
    const text = formatStatus(statusJson(view()));
    const [header, ...rows] = text.split('\n');
    expect(header).toMatch(/^TEMPLATE +PRESET +VERSION +DESIRED +SOURCE +RUNNING/);
    expect(rows.find((row) => / plain /.test(row))).toMatch(/ 1 +scheduled /);
    expect(rows.find((row) => / broken /.test(row))).toMatch(/ 2 +expression_fallback /);
    // 2 attempts a minute, L = 3 min: A = 6; 9 prebuilds reach 90 %.
    expect(rows.find((row) => / fore /.test(row))).toMatch(
      / 9 +forecast 9\d\.\d% \(2\.00\/min, L 180s\) /,
    );
    expect(text).toMatch(
      /dev-env\/broken \(v2\): autoscaling: the expression gave NaN .*\(scheduled target 2 applies\)/,
    );
  });

  it('plan: where desired came from, and why a policy fell back', () => {
    const text = formatPlan(planJson(view()));
    expect(text).toContain('  desired 9 from forecast (scheduled target 0)');
    expect(text).toMatch(/ {2}desired 2 from expression_fallback \(scheduled target 2\): .*NaN/);
    expect(text).not.toContain('from scheduled');
  });
});
