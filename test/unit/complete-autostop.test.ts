import { describe, expect, it } from 'vitest';

import { type BuildContext, startBuildAutostop } from '../../src/jobs/complete.js';

const HOUR = 3_600_000;
const NOW = new Date('2026-03-02T10:00:00Z'); // a Monday

const build = (over: Partial<BuildContext> = {}): BuildContext => ({
  build_id: '00000000-0000-0000-0000-000000000001',
  workspace_id: '00000000-0000-0000-0000-000000000002',
  transition: 'start',
  build_number: 2,
  build_created_at: NOW,
  preset_id: null,
  owner_id: '00000000-0000-0000-0000-000000000003',
  ttl: 8 * HOUR,
  autostart_schedule: null,
  workspace_deleted: false,
  template_id: '00000000-0000-0000-0000-000000000004',
  default_ttl: 0,
  allow_user_autostop: true,
  autostop_requirement_days_of_week: 0,
  autostop_requirement_weeks: 1,
  autostart_block_days_of_week: 0,
  quiet_hours_schedule: '',
  template_name: 'dev',
  organization_name: 'default',
  preset_name: '',
  ...over,
});

describe('deadline of a finished start build (job completion)', () => {
  it('is the lifecycle calculation, with the default quiet hours for users without their own', () => {
    expect(startBuildAutostop(build({ autostop_requirement_days_of_week: 0x7f }), NOW)).toEqual({
      deadline: new Date('2026-03-02T18:00:00Z'),
      maxDeadline: new Date('2026-03-03T00:00:00Z'),
    });
  });

  it("uses the deployment's default quiet hours for owners without their own", () => {
    const build_ = build({ autostop_requirement_days_of_week: 0x7f });
    expect(startBuildAutostop(build_, NOW, 'CRON_TZ=UTC 0 22 * * *').maxDeadline).toEqual(
      new Date('2026-03-02T22:00:00Z'),
    );
    // The owner's own quiet hours win.
    expect(
      startBuildAutostop(
        { ...build_, quiet_hours_schedule: 'CRON_TZ=UTC 0 20 * * *' },
        NOW,
        'CRON_TZ=UTC 0 22 * * *',
      ).maxDeadline,
    ).toEqual(new Date('2026-03-02T20:00:00Z'));
  });

  it('ignores an autostop requirement it cannot use instead of failing the build', () => {
    expect(
      startBuildAutostop(
        build({ autostop_requirement_days_of_week: 0x7f, quiet_hours_schedule: 'every night' }),
        NOW,
      ),
    ).toEqual({ deadline: new Date('2026-03-02T18:00:00Z'), maxDeadline: null });
  });
});
