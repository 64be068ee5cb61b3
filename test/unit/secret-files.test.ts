import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../src/config/load.js';
import { refuseOpenApi } from '../../src/service/controller.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secret(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('secrets from files (*_FILE)', () => {
  it('reads DATABASE_URL_FILE, PREBUILD_CONTROLLER_API_TOKEN_FILE and the webhook file, trimmed', () => {
    const config = loadConfig(
      {},
      {
        DATABASE_URL_FILE: secret('db', 'postgres://app:s3cret@db:5432/prebuilds\n'),
        PREBUILD_CONTROLLER_API_TOKEN_FILE: secret('token', '  bootstrap-from-file \n'),
        PREBUILD_CONTROLLER_NOTIFICATIONS_WEBHOOK_FILE: secret(
          'webhook',
          'https://hooks.example.com/T0/abc\r\n',
        ),
      },
    );
    expect(config.databaseUrl).toBe('postgres://app:s3cret@db:5432/prebuilds');
    expect(config.apiToken).toBe('bootstrap-from-file');
    expect(config.notificationsWebhook).toBe('https://hooks.example.com/T0/abc');
  });

  it('refuses both the variable and its file, naming both', () => {
    expect(() =>
      loadConfig(
        {},
        {
          PREBUILD_CONTROLLER_API_TOKEN: 'token-from-env',
          PREBUILD_CONTROLLER_API_TOKEN_FILE: secret('both', 'token-from-file'),
        },
      ),
    ).toThrow(
      new ConfigError(
        'invalid configuration: both PREBUILD_CONTROLLER_API_TOKEN and PREBUILD_CONTROLLER_API_TOKEN_FILE are set; set only one',
      ),
    );
  });

  it('names the file when it is missing, empty or invalid, never its content', () => {
    const missing = join(dir, 'nope');
    expect(() => loadConfig({}, { DATABASE_URL_FILE: missing })).toThrow(
      new ConfigError(
        `invalid configuration: DATABASE_URL_FILE (${missing}): cannot read the file (ENOENT)`,
      ),
    );
    const empty = secret('empty', ' \n');
    expect(() => loadConfig({}, { PREBUILD_CONTROLLER_API_TOKEN_FILE: empty })).toThrow(
      new ConfigError(
        `invalid configuration: PREBUILD_CONTROLLER_API_TOKEN_FILE (${empty}): the file is empty`,
      ),
    );
    const bad = secret('bad-url', 'mysql://root:hunter2@db/x');
    let message = '';
    try {
      loadConfig({}, { DATABASE_URL_FILE: bad });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      `invalid configuration: DATABASE_URL_FILE (${bad}): must be a URL like postgres://user:password@host:5432/database`,
    );
    const hook = secret('bad-hook', 'ftp://hooks.example.com/s3cret-path');
    expect(() => loadConfig({}, { PREBUILD_CONTROLLER_NOTIFICATIONS_WEBHOOK_FILE: hook })).toThrow(
      new ConfigError(
        `invalid configuration: PREBUILD_CONTROLLER_NOTIFICATIONS_WEBHOOK_FILE (${hook}): is not an http(s) URL`,
      ),
    );
  });

  it('lets a flag win over the file, as over the variable', () => {
    const config = loadConfig(
      { apiToken: 'token-from-flag' },
      { PREBUILD_CONTROLLER_API_TOKEN_FILE: secret('flag', 'token-from-file') },
    );
    expect(config.apiToken).toBe('token-from-flag');
  });

  it('passes the reader the path (so callers can read secrets their own way)', () => {
    const paths: string[] = [];
    const config = loadConfig({}, { DATABASE_URL_FILE: '/var/run/secrets/db' }, (path) => {
      paths.push(path);
      return 'postgres://u:p@db:5432/x';
    });
    expect(paths).toEqual(['/var/run/secrets/db']);
    expect(config.databaseUrl).toBe('postgres://u:p@db:5432/x');
  });
});

describe('no open API by accident', () => {
  const config = (flags: Record<string, unknown>) => loadConfig(flags, {});

  it('refuses to listen beyond loopback without a token, in one line', () => {
    expect(() => refuseOpenApi(config({ listen: '0.0.0.0:8080' }))).toThrow(
      new ConfigError(
        'refusing to listen on 0.0.0.0:8080 without an API token: set PREBUILD_CONTROLLER_API_TOKEN (or PREBUILD_CONTROLLER_API_TOKEN_FILE), listen on 127.0.0.1, or pass --insecure-no-token',
      ),
    );
    expect(() => refuseOpenApi(config({ listen: '[::]:8080' }))).toThrow(
      'refusing to listen on [::]:8080 without an API token',
    );
    expect(() => refuseOpenApi(config({ listen: '10.0.0.5:8080' }))).toThrow(ConfigError);
  });

  it('allows loopback without a token, a token, or --insecure-no-token', () => {
    for (const listen of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']) {
      expect(() => refuseOpenApi(config({ listen }))).not.toThrow();
    }
    expect(() =>
      refuseOpenApi(config({ listen: '0.0.0.0:8080', apiToken: 'bootstrap-token' })),
    ).not.toThrow();
    // The bare flag (commander passes true) and the variable.
    expect(() =>
      refuseOpenApi(config({ listen: '0.0.0.0:8080', insecureNoToken: true })),
    ).not.toThrow();
    expect(() =>
      refuseOpenApi(
        loadConfig(
          {},
          {
            PREBUILD_CONTROLLER_LISTEN: '0.0.0.0:8080',
            PREBUILD_CONTROLLER_INSECURE_NO_TOKEN: 'true',
          },
        ),
      ),
    ).not.toThrow();
  });
});
