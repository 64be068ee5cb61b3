import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { usersFeature } from '../../src/users/routes.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { FakeClock } from '../helpers/clock.js';

const db = useTestDatabase();
const clock = new FakeClock('2026-11-22T10:00:00Z');
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp(db, [usersFeature], { clock });
});
afterAll(async () => t.close());

describe('users API', () => {
  it('creates a user and lists it', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: AUTH,
      payload: { username: 'alice', email: 'alice@example.com' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      username: 'alice',
      email: 'alice@example.com',
      status: 'active',
      roles: [],
      created_at: '2026-11-22T10:00:00.000Z',
    });
    const list = await t.app.inject({ url: '/api/v1/users', headers: AUTH });
    expect(list.json().users.map((u: { username: string }) => u.username)).toEqual(['alice']);
  });

  it('answers 409 for a taken name (case-insensitive) and 400 naming a bad field', async () => {
    const taken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: AUTH,
      payload: { username: 'ALICE' },
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({
      code: 'conflict',
      details: [{ path: 'username', message: 'is taken' }],
    });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: AUTH,
      payload: { username: 'no spaces' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].path).toBe('username');
    const role = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: AUTH,
      payload: { username: 'bob', roles: ['root'] },
    });
    expect(role.statusCode).toBe(400);
    expect(role.json().details[0].path).toBe('roles.0');
  });

  it('suspends and activates by username or id; the system user is off limits', async () => {
    const suspended = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users/alice/suspend',
      headers: AUTH,
    });
    expect(suspended.json()).toMatchObject({ username: 'alice', status: 'suspended' });
    const id = suspended.json().id as string;
    const active = await t.app.inject({
      method: 'POST',
      url: `/api/v1/users/${id}/activate`,
      headers: AUTH,
    });
    expect(active.json()).toMatchObject({ status: 'active' });
    const missing = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users/nobody/suspend',
      headers: AUTH,
    });
    expect(missing.statusCode).toBe(404);
    const system = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users/prebuilds/suspend',
      headers: AUTH,
    });
    expect(system.statusCode).toBe(400);
  });
});

describe('users CLI', () => {
  it('creates, lists, suspends and activates users', { timeout: 90_000 }, async () => {
    const env = { DATABASE_URL: db.url };
    const created = await runCli(
      ['users', 'create', 'carol', '--role', 'template-admin', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      username: 'carol',
      roles: ['template-admin'],
    });
    const again = await runCli(['users', 'create', 'carol'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      'prebuild-controller: user "carol" already exists (username: is taken)\n',
    );
    const listed = await runCli(['users', 'list'], env);
    expect(listed.stdout).toMatch(/^USERNAME\s+STATUS\s+ROLES\s+ID\n/);
    expect(listed.stdout).toMatch(/carol\s+active\s+template-admin/);
    const suspended = await runCli(['users', 'suspend', 'carol'], env);
    expect(suspended.stdout).toBe('user carol is suspended\n');
    const activated = await runCli(['users', 'activate', 'carol', '--json'], env);
    expect(JSON.parse(activated.stdout)).toMatchObject({ username: 'carol', status: 'active' });
  });
});
