import { describe, expect, it } from 'vitest';

import {
  PrebuildWorkspacesRow,
  PresetRow,
  PresetRowShape,
} from '../../../src/prebuilds/queries.js';

const running = ['w', 'prebuild-a', 'running', null, null, true, null, 1, 0, false];
const failed = ['w', 'prebuild-b', 'stopped_or_failed', 'start', 'failed', false, 2, 1, 0, false];
const group = (...prebuilds: unknown[]) => ['tpl', 'ver', 'preset', prebuilds];

describe('the prebuild groups of GetPrebuildWorkspaces', () => {
  it('accepts running and stopped-or-failed prebuilds, no preset, and an empty list', () => {
    const row = (prebuilds: unknown[]) => ({ prebuilds, grace_oldest_completed_at: null });
    expect(PrebuildWorkspacesRow.safeParse(row([group(running, failed)])).success).toBe(true);
    expect(PrebuildWorkspacesRow.safeParse(row([['tpl', 'ver', null, [failed]]])).success).toBe(
      true,
    );
    expect(PrebuildWorkspacesRow.safeParse(row([])).success).toBe(true);
  });

  it.each([
    ['too short', group(running.slice(0, 9))],
    ['id not a string', group([1, ...running.slice(1)])],
    ['ready not a boolean', group([...running.slice(0, 5), 'yes', ...running.slice(6)])],
    ['created_at not a number', group([...running.slice(0, 7), '2026-01-01', 0, false])],
    [
      'running with a job status',
      group([...running.slice(0, 4), 'succeeded', ...running.slice(5)]),
    ],
    ['unknown state', group([...running.slice(0, 2), 'starting', ...running.slice(3)])],
    ['stopped without completion time', group([...failed.slice(0, 6), null, ...failed.slice(7)])],
    ['unknown transition', group([...failed.slice(0, 3), 'pause', ...failed.slice(4)])],
    ['template id not a string', [null, 'ver', 'preset', [running]]],
    ['preset id a number', ['tpl', 'ver', 7, [running]]],
    ['prebuilds not an array', ['tpl', 'ver', 'preset', running[0]]],
    ['a group too long', [...group(running), 'extra']],
  ])('rejects a group with %s, naming the entry', (_why, bad) => {
    const result = PrebuildWorkspacesRow.safeParse({
      prebuilds: [group(running), bad],
      grace_oldest_completed_at: null,
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['prebuilds', 1]);
  });
});

describe('the preset rows of GetPrebuildPresets', () => {
  const good = {
    id: 'p',
    name: 'small',
    template_id: 't',
    template_name: 'tpl',
    organization_id: 'o',
    organization_name: 'org',
    template_version_id: 'v',
    template_version_name: 'v1',
    using_active_version: true,
    template_deleted: false,
    template_deprecated: false,
    desired_instances: 2,
    ttl_secs: 0,
    scheduling_timezone: '',
    prebuild_status: 'healthy',
    last_invalidated_at: null,
    failure_limit_reset_at: new Date(0),
    autoscaling: { expression: 'max(scheduled_target, 1)' },
    schedules: [{ cron: '* 9-17 * * 1-5', instances: 3 }],
  };

  it('accepts a row as the query returns it, unchanged', () => {
    const parsed = PresetRow.safeParse(good);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toBe(good);
    expect(
      PresetRow.safeParse({ ...good, desired_instances: null, autoscaling: null }).success,
    ).toBe(true);
  });

  it.each([
    ['a missing string', { name: undefined }],
    ['a number as text', { ttl_secs: '0' }],
    ['an unknown status', { prebuild_status: 'sick' }],
    ['a date as text', { last_invalidated_at: '2025-01-01' }],
    ['an array as the policy', { autoscaling: [] }],
    ['a schedule without instances', { schedules: [{ cron: '* * * * *' }] }],
    ['a boolean as text', { template_deleted: 'false' }],
  ])('refuses %s, as the zod shape it stands for does', (_, change) => {
    expect(PresetRow.safeParse({ ...good, ...change }).success).toBe(false);
    expect(PresetRowShape.safeParse({ ...good, ...change }).success).toBe(false);
  });
});
