import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../../src/config/load.js';
import {
  DEFAULT_PREBUILD_OPTIONS,
  validatePrebuildOptions,
} from '../../../src/domain/prebuilds/options.js';
import { prebuildOptionsFromConfig } from '../../../src/prebuilds/options.js';

describe('prebuild options', () => {
  it('defaults: backoff 1m doubling to 30m over a 1h lookback, hard limit 3, cleanup after 1h', () => {
    expect(prebuildOptionsFromConfig(loadConfig({}, {}))).toEqual({
      ...DEFAULT_PREBUILD_OPTIONS,
      autoscaling: { maxTarget: 100, defaultLeadTimeMs: 120_000 },
    });
    expect(DEFAULT_PREBUILD_OPTIONS).toEqual({
      backoffBaseMs: 60_000,
      backoffCapMs: 1_800_000,
      backoffLookbackMs: 3_600_000,
      failureHardLimit: 3,
      cleanupGraceMs: 3_600_000,
      deleteRetryLimit: 5,
    });
  });

  it('reads the environment, and flags win over it', () => {
    const env = {
      PREBUILD_CONTROLLER_BACKOFF_BASE: '15s',
      PREBUILD_CONTROLLER_BACKOFF_CAP: '5m',
      PREBUILD_CONTROLLER_BACKOFF_LOOKBACK: '2h',
      PREBUILD_CONTROLLER_FAILURE_HARD_LIMIT: '0',
      PREBUILD_CONTROLLER_PREBUILD_CLEANUP_GRACE: '10m',
      PREBUILD_CONTROLLER_PREBUILD_DELETE_RETRY_LIMIT: '0',
    };
    expect(prebuildOptionsFromConfig(loadConfig({}, env))).toEqual({
      backoffBaseMs: 15_000,
      backoffCapMs: 300_000,
      backoffLookbackMs: 7_200_000,
      failureHardLimit: 0,
      cleanupGraceMs: 600_000,
      deleteRetryLimit: 0,
      autoscaling: { maxTarget: 100, defaultLeadTimeMs: 120_000 },
    });
    expect(
      prebuildOptionsFromConfig(loadConfig({ failureHardLimit: '5' }, env)).failureHardLimit,
    ).toBe(5);
  });

  it.each([
    [
      { PREBUILD_CONTROLLER_BACKOFF_BASE: 'soon' },
      /PREBUILD_CONTROLLER_BACKOFF_BASE .*"soon" is not a duration/,
    ],
    [
      { PREBUILD_CONTROLLER_FAILURE_HARD_LIMIT: '-1' },
      /PREBUILD_CONTROLLER_FAILURE_HARD_LIMIT .*whole number from 0/,
    ],
  ])('rejects %j', (env, message) => {
    expect(() => loadConfig({}, env)).toThrow(message);
  });

  it('rejects a cap below the base, naming both', () => {
    const config = loadConfig(
      {},
      { PREBUILD_CONTROLLER_BACKOFF_BASE: '10m', PREBUILD_CONTROLLER_BACKOFF_CAP: '1m' },
    );
    expect(() => prebuildOptionsFromConfig(config)).toThrow(ConfigError);
    expect(() => prebuildOptionsFromConfig(config)).toThrow(
      '--backoff-cap (env PREBUILD_CONTROLLER_BACKOFF_CAP) must be at least --backoff-base (env PREBUILD_CONTROLLER_BACKOFF_BASE)',
    );
  });

  it('validates options built in code, naming each field', () => {
    expect(validatePrebuildOptions(DEFAULT_PREBUILD_OPTIONS)).toEqual([]);
    expect(
      validatePrebuildOptions({
        ...DEFAULT_PREBUILD_OPTIONS,
        backoffBaseMs: 0,
        failureHardLimit: 1.5,
      }),
    ).toEqual([
      'failureHardLimit: must be a whole number >= 0',
      'backoffBaseMs: must be greater than 0',
    ]);
  });
});
