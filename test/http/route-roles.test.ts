import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { apiRoutes, type ApiRoute } from '../../src/http/app.js';
import { FEATURES } from '../../src/service/features.js';
import { type Role, roleAllows, ROLES } from '../../src/tokens/roles.js';
import { routeRolesTable, withRouteRolesTable } from '../../src/tokens/route-table.js';
import { createToken } from '../../src/tokens/store.js';
import { packageRoot } from '../../src/util/paths.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
let test: TestApp;
const tokens = new Map<Role, string>();

beforeAll(async () => {
  test = await buildTestApp(db, FEATURES);
  for (const role of ROLES) {
    const { token } = await createToken(
      db.pool,
      { name: `as-${role}`, role, createdBy: 'route-roles test' },
      new Date(),
    );
    tokens.set(role, token);
  }
});
afterAll(async () => test?.close());

/** A concrete URL for a route: every `:param` filled with something that names nothing. */
function concrete(route: ApiRoute): string {
  return (
    '/api/v1' +
    route.url.replace(/:([A-Za-z_]+)/g, (_m, name: string) =>
      name === 'id' ? '00000000-0000-4000-8000-000000000000' : `no-such-${name}`,
    )
  );
}

async function call(route: ApiRoute, token: string | undefined) {
  return test.app.inject({
    method: route.method as 'GET',
    url: concrete(route),
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(route.method === 'GET' ? {} : { payload: {} }),
  });
}

describe('every /api/v1 route declares its role', () => {
  it('registers every route of every feature with a role', () => {
    const routes = apiRoutes(test.app);
    // The product's routes, all of them: a feature adding one shows up here and in the table.
    expect(routes.length).toBeGreaterThanOrEqual(20);
    for (const route of routes) expect(ROLES).toContain(route.role);
  });

  it('refuses a route registered without a role when the app is built', async () => {
    const { buildApp } = await import('../../src/http/app.js');
    const { silentLogger } = await import('../../src/log/logger.js');
    const { createRegistry } = await import('../../src/metrics/registry.js');
    await expect(
      buildApp({
        logger: silentLogger(),
        registry: createRegistry(),
        apiToken: 'some-token',
        readiness: async () => ({ ready: true, checks: {} }),
        api: [
          async (api) => {
            api.post('/unguarded', async () => ({}));
          },
        ],
      }),
    ).rejects.toThrow('route POST /api/v1/unguarded declares no role');
  });

  it('keeps the table in docs/security.md equal to the registered routes', () => {
    const path = join(packageRoot, 'docs', 'security.md');
    const text = readFileSync(path, 'utf8');
    const updated = withRouteRolesTable(text, apiRoutes(test.app));
    if (process.env.UPDATE_ROLES_TABLE === '1') writeFileSync(path, updated);
    else expect(text, 'run `npm run docs:roles`').toContain(routeRolesTable(apiRoutes(test.app)));
  });
});

describe('403 per role and route (generated from the registered routes)', () => {
  // Every route is called without a token and with a token of every role: a role that may not
  // call it gets 403 naming the role needed, one that may is let through to the handler
  // (whatever the handler then answers: 200, 400 for the empty body, 404 for the made-up id).
  it('guards every route for every role', async () => {
    const routes = apiRoutes(test.app);
    const wrong: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const anonymous = await call(route, undefined);
      if (anonymous.statusCode !== 401) {
        wrong.push(`${route.method} ${route.url} without a token: ${anonymous.statusCode}`);
      }
      for (const role of ROLES) {
        const response = await call(route, tokens.get(role));
        const label = `${route.method} ${route.url} as ${role}`;
        checked += 1;
        if (roleAllows(role, route.role)) {
          if ([401, 403].includes(response.statusCode)) {
            wrong.push(`${label}: ${response.statusCode} ${response.body}`);
          }
        } else if (
          response.statusCode !== 403 ||
          response.json<{ code: string }>().code !== 'forbidden' ||
          !response.json<{ message: string }>().message.includes(`needs the "${route.role}" role`)
        ) {
          wrong.push(
            `${label}: expected 403 naming "${route.role}", got ${response.statusCode} ${response.body}`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(routes.length * ROLES.length);
  });

  it('answers a wrong role with 403 {code, message} naming the role needed', async () => {
    const response = await test.app.inject({
      method: 'POST',
      url: '/api/v1/prebuilds/pause',
      headers: { authorization: `Bearer ${tokens.get('client')}` },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      code: 'forbidden',
      message:
        'this route needs the "template-admin" role ("template-admin" or "admin"); token "as-client" has role "client"',
      details: [],
    });
  });
});
