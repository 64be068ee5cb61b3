import { describe, expect, it } from 'vitest';

import { DEFAULT_PREBUILD_OPTIONS } from '../../src/domain/prebuilds/options.js';
import { recordDecisionSettings } from '../../src/prebuilds/decision-settings.js';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
const cli = (...args: string[]) => runCli(args, { DATABASE_URL: db.url });

interface WithSettings {
  decision_settings: {
    source: string;
    recorded_at: string | null;
    overridden: string[];
    options: Record<string, number>;
  };
}

describe("prebuilds status and plan decide with the controller's recorded settings", () => {
  it('use their own settings, and say so, while no controller has recorded any', async () => {
    const status = await cli('prebuilds', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /\ndecision settings: backoff-base 1m, backoff-cap 30m, backoff-lookback 1h, failure-hard-limit 3, prebuild-cleanup-grace 1h, prebuild-delete-retry-limit 5 \(this command's \(no controller has recorded its settings in this database\)\)\n$/,
    );
  });

  it('use the recorded ones, flags override them, and the output says which were used', async () => {
    const recordedAt = new Date('2026-12-06T08:00:00.000Z');
    await recordDecisionSettings(
      db.pool,
      { ...DEFAULT_PREBUILD_OPTIONS, failureHardLimit: 10, backoffBaseMs: 5_000 },
      recordedAt,
    );
    const plan = await cli('prebuilds', 'plan');
    expect(plan.stdout).toContain(
      "decision settings: backoff-base 5s, backoff-cap 30m, backoff-lookback 1h, failure-hard-limit 10, prebuild-cleanup-grace 1h, prebuild-delete-retry-limit 5 (the controller's, recorded 2026-12-06T08:00:00.000Z)\n",
    );
    const json = JSON.parse(
      (await cli('prebuilds', 'status', '--json', '--failure-hard-limit', '2')).stdout,
    ) as WithSettings;
    expect(json.decision_settings).toEqual({
      source: 'controller',
      recorded_at: recordedAt.toISOString(),
      overridden: ['--failure-hard-limit'],
      options: {
        ...DEFAULT_PREBUILD_OPTIONS,
        failureHardLimit: 2,
        backoffBaseMs: 5_000,
        // Autoscaling's bounds are not recorded: the command's own (here the defaults).
        autoscaling: expect.any(Object),
      },
    });
  });
});
