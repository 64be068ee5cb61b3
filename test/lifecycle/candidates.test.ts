import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decideLifecycle } from '../../src/domain/lifecycle/index.js';
import { lifecycleCandidates, lifecycleStateByWorkspace } from '../../src/lifecycle/queries.js';
import { type LifecycleStateRow, toLifecycleState } from '../../src/lifecycle/state.js';
import { useTestDatabase } from '../helpers/db.js';
import {
  createBuild,
  createTemplate,
  createTemplateVersion,
  createUser,
  createWorkspace,
  type JobState,
  SYSTEM_USER_ID,
} from '../helpers/fixtures.js';

const db = useTestDatabase();
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ACTIVE_WINDOW = 15 * MIN;

const at = (now: Date, offset: number) => new Date(now.getTime() + offset);

/** True one time in ten. */
const rarely = fc.integer({ min: 0, max: 9 }).map((n) => n === 0);

const anyScenario = fc.record({
  transition: fc.constantFrom<'start' | 'stop' | 'delete'>('start', 'stop', 'delete'),
  jobState: fc.constantFrom<JobState>('succeeded', 'failed', 'canceled', 'running', 'pending'),
  // Around failure_ttl (1 h) and the 24 h failed-delete retry.
  completedAgo: fc.constantFrom(MIN, HOUR - 1, HOUR, HOUR + 1, 24 * HOUR, 24 * HOUR + 1, 3 * DAY),
  buildAgo: fc.constantFrom(MIN, 2 * HOUR, DAY + 1, 3 * DAY),
  // Around now, the reminder window (30 min) and beyond.
  deadline: fc.option(
    fc.constantFrom(-HOUR, -1, 0, 1, 10 * MIN, 30 * MIN, 30 * MIN + 1, 2 * HOUR),
    { nil: null },
  ),
  maxDeadline: fc.option(fc.constantFrom(-1, 0, 20 * MIN, 30 * MIN, 2 * HOUR), { nil: null }),
  notified: fc.constantFrom('none', 'same', 'other'),
  ownerStatus: fc.constantFrom<'active' | 'suspended' | 'dormant'>(
    'active',
    'active',
    'active',
    'suspended',
    'dormant',
  ),
  prebuild: rarely,
  deleted: rarely,
  schedule: fc.constantFrom(null, '0 9 * * *', '30 11 * * *', 'not a schedule'),
  nextStartAt: fc.option(fc.constantFrom(-DAY, -MIN, 0, MIN), { nil: null }),
  // Around time_til_dormant (7 d) and the reminder's activity window (15 min).
  lastUsedAgo: fc.constantFrom(7 * DAY + 1, 7 * DAY, 7 * DAY - 1, 15 * MIN, 15 * MIN - 1, HOUR),
  dormant: fc.constantFrom(
    'no',
    'no',
    'no',
    'deleting-past',
    'deleting-now',
    'deleting-future',
    'no-deleting',
  ),
  notify: fc.constantFrom(0, 30 * MIN),
  bump: fc.constantFrom(0, HOUR),
  failureTtl: fc.constantFrom(0, HOUR),
  ttd: fc.constantFrom(0, 7 * DAY),
  autodelete: fc.constantFrom(0, 7 * DAY),
  allowAutostart: fc.boolean(),
});
type Scenario = typeof anyScenario extends fc.Arbitrary<infer T> ? T : never;

// Some rules need many fields to line up; these variants make them common while every other
// field stays random (boundary values included).
const focus = <T>(extra: fc.Arbitrary<T>, apply: (s: Scenario, extra: T) => Scenario) =>
  fc.tuple(anyScenario, extra).map(([s, e]) => apply(s, e));

const scenario = fc.oneof(
  anyScenario,
  focus(fc.constantFrom('0 9 * * *', '30 11 * * *'), (s, schedule) => ({
    ...s,
    transition: 'stop',
    jobState: 'succeeded',
    ownerStatus: 'active',
    prebuild: false,
    deleted: false,
    dormant: 'no',
    allowAutostart: true,
    schedule,
  })),
  focus(
    fc.tuple(
      fc.constantFrom(1, 10 * MIN, 30 * MIN, 30 * MIN + 1),
      fc.constantFrom(15 * MIN, 15 * MIN - 1, HOUR),
      fc.constantFrom(null, 30 * MIN, 2 * HOUR),
    ),
    (s, [deadline, lastUsedAgo, maxDeadline]) => ({
      ...s,
      transition: 'start',
      jobState: 'succeeded',
      prebuild: false,
      deleted: false,
      dormant: 'no',
      notify: 30 * MIN,
      deadline,
      lastUsedAgo,
      maxDeadline,
    }),
  ),
  focus(fc.constantFrom(7 * DAY - 1, 7 * DAY, 7 * DAY + 1), (s, lastUsedAgo) => ({
    ...s,
    jobState: 'succeeded',
    prebuild: false,
    deleted: false,
    dormant: 'no',
    ttd: 7 * DAY,
    lastUsedAgo,
  })),
  focus(fc.constantFrom(HOUR - 1, HOUR, HOUR + 1), (s, completedAgo) => ({
    ...s,
    jobState: 'failed',
    prebuild: false,
    deleted: false,
    failureTtl: HOUR,
    completedAgo,
  })),
  focus(fc.constantFrom(24 * HOUR - 1, 24 * HOUR, 24 * HOUR + 1), (s, completedAgo) => ({
    ...s,
    transition: 'delete',
    jobState: 'failed',
    prebuild: false,
    deleted: false,
    dormant: 'deleting-past',
    autodelete: 7 * DAY,
    completedAgo,
  })),
);

async function insert(s: Scenario, now: Date): Promise<string> {
  const templateId = await createTemplate(db.pool, {
    timeTilAutostopNotifyMs: s.notify,
    activityBumpMs: s.bump,
    failureTtlMs: s.failureTtl,
    timeTilDormantMs: s.ttd,
    timeTilDormantAutodeleteMs: s.autodelete,
    allowUserAutostart: s.allowAutostart,
  });
  const versionId = await createTemplateVersion(db.pool, { templateId });
  const ownerId = s.prebuild
    ? SYSTEM_USER_ID
    : await createUser(db.pool, { status: s.ownerStatus });
  const dormantAt = s.dormant === 'no' ? undefined : at(now, -DAY);
  const deletingAt = {
    no: undefined,
    'no-deleting': undefined,
    'deleting-past': at(now, -MIN),
    'deleting-now': now,
    'deleting-future': at(now, MIN),
  }[s.dormant];
  const workspaceId = await createWorkspace(db.pool, {
    ownerId,
    templateId,
    deleted: s.deleted,
    lastUsedAt: at(now, -s.lastUsedAgo),
    ...(s.schedule ? { autostartSchedule: s.schedule } : {}),
    ...(s.nextStartAt !== null ? { nextStartAt: at(now, s.nextStartAt) } : {}),
    ...(dormantAt ? { dormantAt } : {}),
    ...(deletingAt ? { deletingAt } : {}),
  });
  const deadline = s.deadline === null ? undefined : at(now, s.deadline);
  let maxDeadline = s.maxDeadline === null ? undefined : at(now, s.maxDeadline);
  if (deadline && maxDeadline && maxDeadline < deadline) maxDeadline = undefined;
  const stopAt = deadline ?? maxDeadline;
  const notified =
    s.notified === 'same' ? stopAt : s.notified === 'other' ? at(now, -2 * HOUR) : undefined;
  await createBuild(db.pool, {
    workspaceId,
    versionId,
    initiatorId: ownerId,
    transition: s.transition,
    jobState: s.jobState,
    createdAt: at(now, -s.buildAgo),
    completedAt: at(now, -s.completedAgo),
    ...(deadline ? { deadline } : {}),
    ...(maxDeadline ? { maxDeadline } : {}),
    ...(notified ? { notifiedAutostopDeadline: notified } : {}),
  });
  return workspaceId;
}

/** The one false positive the SQL may return: the autostart arm (cron evaluated in TypeScript). */
function autostartArm(row: LifecycleStateRow, now: Date): boolean {
  return (
    row.owner_status === 'active' &&
    ['succeeded', 'canceled'].includes(row.job_status) &&
    row.dormant_at === null &&
    row.transition === 'stop' &&
    row.allow_user_autostart &&
    row.autostart_schedule !== null &&
    (row.next_start_at === null || row.next_start_at <= now)
  );
}

describe('LifecycleCandidates', () => {
  it('returns every workspace a pure rule acts on, and nothing else but autostart-arm rows', async () => {
    const now = new Date('2025-06-04T12:00:00Z');
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const id = await insert(s, now);
        const candidates = await lifecycleCandidates.any(db.pool, {
          now,
          active_window_ms: ACTIVE_WINDOW,
        });
        const candidate = candidates.find((row) => row.workspace_id === id);
        const row = await lifecycleStateByWorkspace.maybeOne(db.pool, { workspace_id: id });
        const decision = row
          ? decideLifecycle(toLifecycleState(row), now, { activeWindowMs: ACTIVE_WINDOW })
          : { transition: null, remind: false };
        const pureDue = decision.transition !== null || decision.remind;
        if (decision.transition) {
          seen.add(`${decision.transition.operation}/${decision.transition.reason}`);
        }
        if (decision.remind) seen.add('remind');
        if (pureDue) expect(candidate, JSON.stringify({ s, decision })).toBeDefined();
        if (candidate && !pureDue) {
          expect(autostartArm(candidate, now), JSON.stringify({ s, candidate })).toBe(true);
        }
        if (candidate) expect(candidate).toEqual(row);
      }),
      { numRuns: 500, seed: 20250604 },
    );
    // The generator must exercise every rule, not only the "nothing due" case.
    expect([...seen].sort()).toEqual([
      'delete/autodelete',
      'dormant/dormancy',
      'remind',
      'start/autostart',
      'stop/autostop',
      'stop/dormancy',
      'stop/failedstop',
    ]);
    // 500 scenarios against a real database: a budget for a loaded 2-core CI machine, not a goal.
  }, 180_000);
});
