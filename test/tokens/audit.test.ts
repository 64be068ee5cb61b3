import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FEATURES } from '../../src/service/features.js';
import { createToken } from '../../src/tokens/store.js';
import { EXAMPLE } from '../templates/helpers.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
let test: TestApp;
const as: Record<string, { authorization: string }> = {};

beforeAll(async () => {
  test = await buildTestApp(db, FEATURES);
  for (const [name, role] of [
    ['ci', 'template-admin'],
    ['portal', 'client'],
    ['grafana', 'read'],
  ] as const) {
    const { token } = await createToken(db.pool, { name, role, createdBy: 'test' }, new Date());
    as[name] = { authorization: `Bearer ${token}` };
  }
});
afterAll(async () => test?.close());

const call = (method: 'GET' | 'POST', url: string, headers: object, payload?: unknown) =>
  test.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: {
      ...headers,
      ...(typeof payload === 'string' ? { 'content-type': 'application/yaml' } : {}),
    },
    ...(payload === undefined ? {} : { payload: payload as string }),
  });

describe('who did what is recorded with the token name', () => {
  it('on template versions: the push answer, GET /templates', async () => {
    const pushed = await call('POST', '/templates', as.ci!, EXAMPLE);
    expect(pushed.statusCode).toBe(201);
    expect(pushed.json().version).toMatchObject({ name: 'v1', pushed_by: 'ci' });
    const listed = await call('GET', '/templates', as.grafana!);
    const template = listed.json().templates.find((t: { name: string }) => t.name === 'dev-env');
    expect(template.active_version).toMatchObject({ name: 'v1', pushed_by: 'ci' });
    // An unchanged re-push by someone else keeps the version's author.
    const again = await call('POST', '/templates', AUTH, `# same\n${EXAMPLE}`);
    expect(again.json()).toMatchObject({ changed: false, version: { pushed_by: 'ci' } });
    const changed = await call('POST', '/templates', AUTH, EXAMPLE.replace('Development', 'Dev'));
    expect(changed.json().version).toMatchObject({ name: 'v2', pushed_by: 'bootstrap' });
  });

  it('on canceled jobs: the cancel answer, GET /jobs/:id', async () => {
    expect((await call('POST', '/users', as.portal!, { username: 'alice' })).statusCode).toBe(201);
    const created = await call('POST', '/workspaces', as.portal!, {
      owner: 'alice',
      template: 'dev-env',
      preset: 'gpu',
      name: 'ws1',
    });
    expect(created.statusCode).toBe(201);
    const jobId = created.json().build.job_id as string;
    expect((await call('GET', `/jobs/${jobId}`, as.grafana!)).json().canceled_by).toBeNull();
    const canceled = await call('POST', `/jobs/${jobId}/cancel`, as.ci!);
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json()).toMatchObject({ status: 'canceled', canceled_by: 'ci' });
    expect((await call('GET', `/jobs/${jobId}`, as.grafana!)).json()).toMatchObject({
      status: 'canceled',
      canceled_by: 'ci',
    });
  });

  it('on pauses and resumes: the answer and GET /presets', async () => {
    const before = (await call('GET', '/presets', as.grafana!)).json();
    expect(before).toMatchObject({ paused: false, pause_changed_by: null, pause_changed_at: null });
    expect((await call('POST', '/prebuilds/pause', as.ci!)).json()).toEqual({
      paused: true,
      changed_by: 'ci',
    });
    const paused = (await call('GET', '/presets', as.grafana!)).json();
    expect(paused).toMatchObject({ paused: true, pause_changed_by: 'ci' });
    expect(Date.parse(paused.pause_changed_at)).not.toBeNaN();
    await call('POST', '/prebuilds/resume', AUTH);
    expect((await call('GET', '/presets', as.grafana!)).json()).toMatchObject({
      paused: false,
      pause_changed_by: 'bootstrap',
    });
  });
});

describe("a template push knows the pushing token's role", () => {
  const template = (name: string, command: string) =>
    `name: ${name}\nprovisioner: exec\nexec:\n  command: ${JSON.stringify(command)}\n`;

  it('takes a named exec command from template-admin, a literal one only from admin', async () => {
    const named = await call('POST', '/templates', as.ci!, template('named-by-ci', 'build'));
    expect(named.statusCode).toBe(201);
    const literal = await call('POST', '/templates', as.ci!, template('literal-by-ci', './x.sh'));
    expect(literal.statusCode).toBe(403);
    expect(literal.json()).toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('a literal command in a template needs an admin token'),
    });
    const { token } = await createToken(
      db.pool,
      { name: 'ops', role: 'admin', createdBy: 'test' },
      new Date(),
    );
    const byAdmin = await call(
      'POST',
      '/templates',
      { authorization: `Bearer ${token}` },
      template('literal-by-ops', './x.sh'),
    );
    expect(byAdmin.statusCode).toBe(201);
    expect(byAdmin.json().version.pushed_by).toBe('ops');
  });
});
