import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../src/config/load.js';
import { formatDuration, parseDuration } from '../../src/util/duration.js';

describe('loadConfig', () => {
  it('has working defaults with nothing set', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({
      databaseUrl: undefined,
      dataDir: './.data',
      listen: { host: '127.0.0.1', port: 8080 },
      apiToken: undefined,
      reconcileInterval: 15_000,
      lifecycleInterval: 60_000,
      jobPollInterval: 30_000,
      provisioner: 'echo',
      echoDuration: 2_000,
      logLevel: 'info',
      databasePoolIdleTimeout: 300_000,
    });
  });

  it('takes the pool idle timeout as a duration, 0 meaning never', () => {
    const idle = (value: string) =>
      loadConfig({}, { PREBUILD_CONTROLLER_DATABASE_POOL_IDLE_TIMEOUT: value })
        .databasePoolIdleTimeout;
    expect(idle('30s')).toBe(30_000);
    expect(idle('0')).toBe(0);
    expect(() => idle('5 minutes')).toThrow(
      'invalid configuration: PREBUILD_CONTROLLER_DATABASE_POOL_IDLE_TIMEOUT (flag --database-pool-idle-timeout): "5 minutes" is not a duration (examples: 500ms, 15s, 1m, 2h, 7d)',
    );
  });

  it('takes environment variables, and flags over them', () => {
    const env = {
      PREBUILD_CONTROLLER_RECONCILE_INTERVAL: '1m',
      LOG_LEVEL: 'debug',
      DATABASE_URL: '',
    };
    expect(loadConfig({}, env)).toMatchObject({ reconcileInterval: 60_000, logLevel: 'debug' });
    expect(loadConfig({ reconcileInterval: '500ms' }, env)).toMatchObject({
      reconcileInterval: 500,
    });
    // An empty variable counts as unset.
    expect(loadConfig({}, env).databaseUrl).toBeUndefined();
  });

  it.each([
    [
      { DATABASE_URL: 'mysql://x' },
      'invalid configuration: DATABASE_URL (flag --database-url): must be a URL like postgres://user:password@host:5432/database',
    ],
    [
      { PREBUILD_CONTROLLER_RECONCILE_INTERVAL: 'soon' },
      'invalid configuration: PREBUILD_CONTROLLER_RECONCILE_INTERVAL (flag --reconcile-interval): "soon" is not a duration (examples: 500ms, 15s, 1m, 2h, 7d)',
    ],
    [
      { PREBUILD_CONTROLLER_LISTEN: '8080' },
      'invalid configuration: PREBUILD_CONTROLLER_LISTEN (flag --listen): "8080" must be host:port, for example 127.0.0.1:8080 or 0.0.0.0:8080',
    ],
    [
      { PREBUILD_CONTROLLER_PROVISIONER: 'terraform' },
      'invalid configuration: PREBUILD_CONTROLLER_PROVISIONER (flag --provisioner): "terraform" must be one of echo, exec, none',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'invalid configuration: LOG_LEVEL (flag --log-level): "loud" must be one of trace, debug, info, warn, error, fatal, silent',
    ],
    [
      { PREBUILD_CONTROLLER_API_TOKEN: 'short' },
      'invalid configuration: PREBUILD_CONTROLLER_API_TOKEN (flag --api-token): must be at least 8 characters (after trimming surrounding whitespace)',
    ],
    [
      { PREBUILD_CONTROLLER_API_TOKEN: 'two words token' },
      'invalid configuration: PREBUILD_CONTROLLER_API_TOKEN (flag --api-token): cannot be sent as "Authorization: Bearer <token>": use only letters, digits and - . _ ~ + / (then = padding), no spaces or other characters',
    ],
    [
      { PREBUILD_CONTROLLER_API_TOKEN: 'geheimnis-\u00e4\u00f6\u00fc' },
      'invalid configuration: PREBUILD_CONTROLLER_API_TOKEN (flag --api-token): cannot be sent as "Authorization: Bearer <token>": use only letters, digits and - . _ ~ + / (then = padding), no spaces or other characters',
    ],
  ])('rejects %o with one clear line', (env, message) => {
    expect(() => loadConfig({}, env)).toThrow(new ConfigError(message));
  });

  it('bounds every duration: timers at 24d, retention at 3650d', () => {
    expect(() => loadConfig({}, { PREBUILD_CONTROLLER_RECONCILE_INTERVAL: '1000000000d' })).toThrow(
      new ConfigError(
        'invalid configuration: PREBUILD_CONTROLLER_RECONCILE_INTERVAL (flag --reconcile-interval): must be at most 24d, got "1000000000d"',
      ),
    );
    expect(
      loadConfig({}, { PREBUILD_CONTROLLER_RECONCILE_INTERVAL: '24d' }).reconcileInterval,
    ).toBe(24 * 86_400_000);
    expect(
      loadConfig({}, { PREBUILD_CONTROLLER_NOTIFICATION_RETENTION: '3650d' }).notificationRetention,
    ).toBe(3650 * 86_400_000);
    expect(() => loadConfig({}, { PREBUILD_CONTROLLER_NOTIFICATION_RETENTION: '3651d' })).toThrow(
      /must be at most 3650d, got "3651d"/,
    );
  });

  it('trims the whitespace around an API token (a Secret made from a file ends in a newline)', () => {
    const env = { PREBUILD_CONTROLLER_API_TOKEN: '  s3cr3t-t0ken_ABC==\n' };
    expect(loadConfig({}, env).apiToken).toBe('s3cr3t-t0ken_ABC==');
    expect(loadConfig({ apiToken: 'abcdefgh12\r\n' }, {}).apiToken).toBe('abcdefgh12');
  });

  it('names the flag when the bad value came from a flag', () => {
    expect(() => loadConfig({ embeddedPgPort: '80' }, {})).toThrow(
      'invalid configuration: --embedded-pg-port (env PREBUILD_CONTROLLER_EMBEDDED_PG_PORT): "80" must be a whole number from 1024 to 65535',
    );
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['15s', 15_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['0', 0],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it.each(['', '15', 'm', '1x', '-1s', '1 m'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
