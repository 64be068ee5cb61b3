import { describe, expect, it } from 'vitest';

import { formatPlan } from '../../../src/cli/commands/prebuilds-format.js';

type Plan = Parameters<typeof formatPlan>[0];
type PresetPlan = Plan['presets'][number];

const preset = (overrides: Partial<PresetPlan>): PresetPlan => ({
  id: '00000000-0000-4000-8000-000000000001',
  template: 'dev',
  preset: 'small',
  organization: 'default',
  template_version: 'v1',
  active_version: true,
  desired: 3,
  status: 'healthy',
  status_change: null,
  creation_blocked: null,
  actions: [],
  scheduled_target: 3,
  target_source: 'scheduled',
  target_error: null,
  forecast: null,
  ...overrides,
});

describe('prebuilds plan (text)', () => {
  it('says "nothing to do" only when every pool is where it should be', () => {
    expect(formatPlan({ at: '', paused: false, presets: [preset({})] })).toBe(
      'nothing to do: every pool is at its desired size\n',
    );
  });

  it('shows every preset whose creation is blocked, with the reason, although it has no action', () => {
    const reason =
      'hard limit: the last 3 creation builds failed, the last at 2026-12-06T08:00:00.000Z; reset the preset or push a new version';
    const text = formatPlan({
      at: '',
      paused: false,
      presets: [
        preset({}),
        preset({ preset: 'big', status: 'hard_limited', creation_blocked: reason }),
        preset({
          preset: 'gpu',
          creation_blocked:
            'backing off until 2026-12-06T08:05:00.000Z after 2 consecutive creation failures',
        }),
      ],
    });
    expect(text).toBe(
      [
        'default/dev/big (v1):',
        `  creation blocked (hard_limited, desired 3): ${reason}`,
        'default/dev/gpu (v1):',
        '  creation blocked (healthy, desired 3): backing off until 2026-12-06T08:05:00.000Z after 2 consecutive creation failures',
        '',
      ].join('\n'),
    );
    expect(text).not.toContain('nothing to do');
  });
});
