import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../../src/config/load.js';

describe('lifecycle and notification settings', () => {
  it('have working defaults', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({
      quietHoursDefaultSchedule: 'CRON_TZ=UTC 0 0 * * *',
      autostopReminderActiveWindow: 15 * 60_000,
      notificationDispatchInterval: 5_000,
      notificationMaxAttempts: 5,
      notificationRetryBackoff: 30_000,
      notificationRetryBackoffMax: 3_600_000,
      notificationWebhookTimeout: 10_000,
      notificationLease: 60_000,
      notificationRetention: 7 * 86_400_000,
    });
  });

  it('normalise a valid quiet-hours default', () => {
    const config = loadConfig(
      {},
      { PREBUILD_CONTROLLER_QUIET_HOURS_DEFAULT_SCHEDULE: 'CRON_TZ=europe/berlin 0 22 * * *' },
    );
    expect(config.quietHoursDefaultSchedule).toBe('CRON_TZ=Europe/Berlin 0 22 * * *');
  });

  it('reject a quiet-hours default that is not one daily time, naming the setting', () => {
    expect(() => loadConfig({ quietHoursDefaultSchedule: '0 22 * * 1-5' }, {})).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ quietHoursDefaultSchedule: '0 22 * * 1-5' }, {})).toThrow(
      /--quiet-hours-default-schedule .*day-of-week: must be "\*" in a daily quiet-hours schedule/,
    );
  });

  it('reject zero attempts', () => {
    expect(() => loadConfig({}, { PREBUILD_CONTROLLER_NOTIFICATION_MAX_ATTEMPTS: '0' })).toThrow(
      /PREBUILD_CONTROLLER_NOTIFICATION_MAX_ATTEMPTS .*must be a whole number from 1 to 100/,
    );
  });
});
