import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FEATURES } from '../../src/service/features.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';

/**
 * The text rule at the API's edge: NUL and unpaired surrogates anywhere in a request (body,
 * query, path) are a 400 naming the field, never a 500 from PostgreSQL (22P05, 22021, invalid
 * json), and nothing is written.
 */
const db = useTestDatabase();
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp(db, FEATURES);
});
afterAll(async () => t.close());

const json = { ...AUTH, 'content-type': 'application/json' };

async function expect400(request: InjectOptions, details: { path: string; message: string }[]) {
  const response = await t.app.inject(request);
  expect(response.statusCode, response.body).toBe(400);
  expect(response.json()).toEqual({
    code: 'bad_request',
    message: details.map((d) => `${d.path}: ${d.message}`).join('; '),
    details,
  });
}

describe('NUL and unpaired surrogates in API input', () => {
  it('template display_name, tags, parameter names and values (JSON and YAML)', async () => {
    await expect400(
      {
        method: 'POST',
        url: '/api/v1/templates',
        headers: json,
        payload: JSON.stringify({
          name: 'texts',
          display_name: 'Dev\u0000',
          tags: { region: '\ud800' },
          presets: [{ name: 'p', parameters: { k: 'v\u0000', 'cp\udfffu': '4' } }],
        }),
      },
      [
        { path: 'display_name', message: 'must not contain NUL' },
        { path: 'tags.region', message: 'must not contain an unpaired UTF-16 surrogate (U+D800)' },
        { path: 'presets[0].parameters.k', message: 'must not contain NUL' },
        {
          path: 'presets[0].parameters["cp\\udfffu"]',
          message: 'key must not contain an unpaired UTF-16 surrogate (U+DFFF)',
        },
      ],
    );
    await expect400(
      {
        method: 'POST',
        url: '/api/v1/templates',
        headers: { ...AUTH, 'content-type': 'application/yaml' },
        payload: 'name: texts\npresets:\n  - name: p\n    parameters: { k: "a\\0b" }\n',
      },
      [{ path: 'presets[0].parameters.k', message: 'must not contain NUL' }],
    );
    const list = await t.app.inject({ url: '/api/v1/templates', headers: AUTH });
    expect(list.json().templates).toEqual([]);
  });

  it('user email and username', async () => {
    await expect400(
      {
        method: 'POST',
        url: '/api/v1/users',
        headers: json,
        payload: JSON.stringify({ username: 'nul', email: 'a\u0000@example.com' }),
      },
      [{ path: 'email', message: 'must not contain NUL' }],
    );
    await expect400(
      {
        method: 'POST',
        url: '/api/v1/users',
        headers: json,
        payload: JSON.stringify({ username: 'x\ud800', email: 'x@example.com' }),
      },
      [{ path: 'username', message: 'must not contain an unpaired UTF-16 surrogate (U+D800)' }],
    );
  });

  it('workspace parameter keys and values, and names', async () => {
    await expect400(
      {
        method: 'POST',
        url: '/api/v1/workspaces',
        headers: json,
        payload: JSON.stringify({
          owner: 'someone',
          template: 'dev-env',
          name: 'ws',
          parameters: { 'k\u0000': 'v', region: '\udc00' },
        }),
      },
      [
        { path: 'parameters["k\\u0000"]', message: 'key must not contain NUL' },
        {
          path: 'parameters.region',
          message: 'must not contain an unpaired UTF-16 surrogate (U+DC00)',
        },
      ],
    );
  });

  it('path and query parameters', async () => {
    await expect400({ url: '/api/v1/workspaces/a%00b', headers: AUTH }, [
      { path: 'id', message: 'must not contain NUL' },
    ]);
    await expect400({ url: '/api/v1/workspaces?owner=%00', headers: AUTH }, [
      { path: 'owner', message: 'must not contain NUL' },
    ]);
  });
});
