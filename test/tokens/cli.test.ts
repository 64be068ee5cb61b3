import { describe, expect, it } from 'vitest';

import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { databaseTokenVerifier } from '../../src/tokens/verifier.js';
import { systemClock } from '../../src/util/clock.js';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();

describe('prebuild-controller tokens', () => {
  it('creates a token (printed once), lists it without its text, and revokes it', async () => {
    const env = { DATABASE_URL: db.url };
    const created = await runCli(
      [
        'tokens',
        'create',
        '--name',
        'ci',
        '--role',
        'template-admin',
        '--expires',
        '90d',
        '--json',
      ],
      env,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const json = JSON.parse(created.stdout) as { token: string; expires_at: string };
    expect(json).toMatchObject({
      token: expect.stringMatching(/^pbc_/),
      name: 'ci',
      role: 'template-admin',
      state: 'live',
      created_by: expect.stringMatching(/^cli/),
      last_used_at: null,
    });
    const days = (Date.parse(json.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);

    const human = await runCli(['tokens', 'create', '--name', 'portal', '--role', 'client'], env);
    expect(human.code).toBe(0);
    const [token, note] = human.stdout.trim().split('\n');
    expect(token).toMatch(/^pbc_[A-Za-z0-9_-]{43}$/);
    expect(note).toBe(
      'created token "portal" with role client (never expires); it is shown only now',
    );

    // The token works against the API with its role.
    const app = await buildApp({
      logger: silentLogger(),
      registry: createRegistry(),
      apiToken: undefined,
      tokenVerifier: databaseTokenVerifier({
        db: db.pool,
        clock: systemClock,
        logger: silentLogger(),
      }),
      readiness: async () => ({ ready: true, checks: {} }),
      api: [
        async (api) => {
          api.get('/whoami', { config: { role: 'read' } }, async (request) => request.principal);
        },
      ],
    });
    const whoami = await app.inject({
      url: '/api/v1/whoami',
      headers: { authorization: `Bearer ${json.token}` },
    });
    await app.close();
    expect(whoami.json()).toEqual({ name: 'ci', role: 'template-admin', kind: 'token' });

    const list = await runCli(['tokens', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME +ROLE +STATE +CREATED BY +CREATED +LAST USED +EXPIRES\n/);
    expect(list.stdout).toMatch(/\nci +template-admin +live +cli\S* +\S+ +\S+ +\S+\n/);
    expect(list.stdout).not.toContain(json.token);
    expect(list.stdout).not.toContain(token);

    const revoked = await runCli(['tokens', 'revoke', 'portal'], env);
    expect(revoked.stdout).toBe('revoked token "portal" (client)\n');
    const listed = await runCli(['tokens', 'list', '--json'], env);
    const tokens = (JSON.parse(listed.stdout) as { tokens: { name: string; state: string }[] })
      .tokens;
    expect(tokens.map((t) => [t.name, t.state])).toEqual([
      ['ci', 'live'],
      ['portal', 'revoked'],
    ]);
  });

  it('rejects a bad role or expiry with one line and exit code 2', async () => {
    const env = { DATABASE_URL: db.url };
    const role = await runCli(['tokens', 'create', '--name', 'x', '--role', 'root'], env);
    expect(role.code).toBe(2);
    expect(role.stderr).toBe(
      'prebuild-controller: --role: "root" must be one of read, client, template-admin, admin\n',
    );
    const expiry = await runCli(
      ['tokens', 'create', '--name', 'x', '--role', 'read', '--expires', 'soon'],
      env,
    );
    expect(expiry.code).toBe(2);
    expect(expiry.stderr).toBe(
      'prebuild-controller: --expires: "soon" is not a positive duration (examples: 12h, 90d)\n',
    );
    const missing = await runCli(['tokens', 'revoke', 'nobody'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('prebuild-controller: no live token named "nobody"\n');
  });
});
