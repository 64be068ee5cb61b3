import { describe, expect, it } from 'vitest';

import {
  PrebuildWorkspacesRow,
  PresetRow,
  PresetRowShape,
} from '../../../src/prebuilds/queries.js';

const running = [
  'w',
  'prebuild-a',
  'owner',
  'tpl',
  'ver',
  'preset',
  'running',
  null,
  null,
  true,
  null,
  1,
  0,
  false,
];
const failed = [
  'w',
  'prebuild-b',
  'owner',
  'tpl',
  'ver',
  null,
  'stopped_or_failed',
  'start',
  'failed',
  false,
  2,
  1,
  0,
  false,
];

describe('the prebuild tuples of GetPrebuildWorkspaces', () => {
  it('accepts running and stopped-or-failed prebuilds, and an empty list', () => {
    const row = (prebuilds: unknown[]) => ({ prebuilds, grace_oldest_completed_at: null });
    expect(PrebuildWorkspacesRow.safeParse(row([running, failed])).success).toBe(true);
    expect(PrebuildWorkspacesRow.safeParse(row([])).success).toBe(true);
  });

  it.each([
    ['too short', running.slice(0, 11)],
    ['id not a string', [1, ...running.slice(1)]],
    ['ready not a boolean', [...running.slice(0, 9), 'yes', ...running.slice(10)]],
    ['created_at not a number', [...running.slice(0, 11), '2026-01-01', 0, false]],
    ['running with a job status', [...running.slice(0, 8), 'succeeded', ...running.slice(9)]],
    ['unknown state', [...running.slice(0, 6), 'starting', ...running.slice(7)]],
    ['stopped without completion time', [...failed.slice(0, 10), null, 1]],
    ['unknown transition', [...failed.slice(0, 7), 'pause', ...failed.slice(8)]],
  ])('rejects a tuple with %s, naming the entry', (_why, tuple) => {
    const result = PrebuildWorkspacesRow.safeParse({
      prebuilds: [running, tuple],
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
