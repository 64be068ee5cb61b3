import { describe, expect, it } from 'vitest';

import { planTick } from '../../../src/lifecycle/plan.js';
import type { LifecycleStateRow } from '../../../src/lifecycle/state.js';
import { HOUR, MIN, t } from './state.js';

const NOW = t('2025-06-04T12:00:00Z'); // a Wednesday

/** A running workspace built at 08:00, as the candidate query returns it. */
function row(over: Partial<LifecycleStateRow> = {}): LifecycleStateRow {
  return {
    workspace_id: 'ws-1',
    workspace_name: 'dev',
    owner_id: 'user-1',
    organization_id: 'org-1',
    template_id: 'tpl-1',
    autostart_schedule: null,
    next_start_at: null,
    ttl: null,
    last_used_at: t('2025-06-04T08:00:00Z'),
    dormant_at: null,
    deleting_at: null,
    automatic_updates: 'never',
    owner_username: 'alice',
    owner_status: 'active',
    owner_quiet_hours_schedule: '',
    template_name: 'tpl',
    active_version_id: 'v1',
    require_active_version: false,
    allow_user_autostart: true,
    allow_user_autostop: true,
    default_ttl: 0,
    activity_bump: HOUR,
    autostop_requirement_days_of_week: 0,
    autostop_requirement_weeks: 1,
    autostart_block_days_of_week: 0,
    failure_ttl: 0,
    time_til_dormant: 0,
    time_til_dormant_autodelete: 0,
    time_til_autostop_notify: 0,
    build_id: 'b-1',
    build_number: 1,
    transition: 'start',
    build_created_at: t('2025-06-04T08:00:00Z'),
    build_template_version_id: 'v1',
    build_reason: 'initiator',
    deadline: null,
    max_deadline: null,
    notified_autostop_deadline: null,
    job_id: 'j-1',
    job_status: 'succeeded',
    job_completed_at: t('2025-06-04T08:00:00Z'),
    job_canceled_at: null,
    job_error: null,
    lifecycle_job_id: null,
    lifecycle_job_operation: null,
    lifecycle_job_reason: null,
    lifecycle_job_deadline: null,
    lifecycle_job_started_at: null,
    ...over,
  };
}

const plan = (rows: LifecycleStateRow[]) => planTick(rows, NOW, { activeWindowMs: 15 * MIN });

describe('planTick', () => {
  it('turns due transitions into jobs with their due time, and due reminders into reminders', () => {
    const result = plan([
      row({ workspace_id: 'stop', deadline: t('2025-06-04T11:30:00Z') }),
      row({
        workspace_id: 'remind',
        deadline: t('2025-06-04T12:10:00Z'),
        time_til_autostop_notify: 30 * MIN,
      }),
      row({ workspace_id: 'idle' }),
    ]);
    expect(result.jobs).toEqual([
      {
        workspaceId: 'stop',
        operation: 'stop',
        reason: 'autostop',
        deadline: t('2025-06-04T11:30:00Z'),
        buildId: 'b-1',
        openJobId: null,
      },
    ]);
    expect(result.reminders).toEqual(['remind']);
    expect(result.nextStarts).toEqual([]);
  });

  it('caches a missing next start from the latest stop build, and leaves a due start alone', () => {
    const result = plan([
      // Stopped at 10:00, schedule 13:00: not due yet, cache 13:00.
      row({
        workspace_id: 'later',
        transition: 'stop',
        build_created_at: t('2025-06-04T10:00:00Z'),
        autostart_schedule: '0 13 * * *',
      }),
      // Stopped at 10:00, schedule 11:00: due now; the finished start will refresh the cache.
      row({
        workspace_id: 'due',
        transition: 'stop',
        build_created_at: t('2025-06-04T10:00:00Z'),
        autostart_schedule: '0 11 * * *',
      }),
    ]);
    expect(result.jobs.map((j) => [j.workspaceId, j.operation])).toEqual([['due', 'start']]);
    expect(result.nextStarts).toEqual([{ workspaceId: 'later', at: t('2025-06-04T13:00:00Z') }]);
  });

  it('moves a passed next start on when no autostart is due (running workspace, failed build)', () => {
    const result = plan([
      row({
        workspace_id: 'running',
        autostart_schedule: '0 9 * * *',
        next_start_at: t('2025-06-04T09:00:00Z'),
      }),
      row({
        workspace_id: 'failed',
        transition: 'stop',
        job_status: 'failed',
        build_created_at: t('2025-06-03T18:00:00Z'),
        autostart_schedule: '0 9 * * *',
        next_start_at: t('2025-06-04T09:00:00Z'),
      }),
      // Dormant: never autostarts, nothing to cache.
      row({
        workspace_id: 'dormant',
        autostart_schedule: '0 9 * * *',
        dormant_at: t('2025-06-01T00:00:00Z'),
      }),
    ]);
    expect(result.jobs).toEqual([]);
    expect(result.nextStarts).toEqual([
      { workspaceId: 'running', at: t('2025-06-05T09:00:00Z') },
      { workspaceId: 'failed', at: t('2025-06-05T09:00:00Z') },
    ]);
  });
});
