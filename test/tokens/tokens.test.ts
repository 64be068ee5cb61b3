import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/registry.js';
import {
  createToken,
  hashToken,
  listTokens,
  revokeToken,
  tokenJson,
} from '../../src/tokens/store.js';
import { databaseTokenVerifier } from '../../src/tokens/verifier.js';
import type { FastifyInstance } from 'fastify';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
const clock = new FakeClock('2026-03-02T09:00:00Z');
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildApp({
    logger: silentLogger(),
    registry: createRegistry(),
    apiToken: 'bootstrap-token-1',
    tokenVerifier: databaseTokenVerifier({ db: db.pool, clock, logger: silentLogger() }),
    readiness: async () => ({ ready: true, checks: {} }),
    api: [
      async (api) => {
        api.get('/whoami', { config: { role: 'read' } }, async (request) => request.principal);
        api.post('/write', { config: { role: 'client' } }, async (request) => request.principal);
      },
    ],
  });
});
afterAll(async () => app?.close());

const get = (token: string, url = '/api/v1/whoami') =>
  app.inject({ url, headers: { authorization: `Bearer ${token}` } });

describe('API tokens', () => {
  it('stores only the SHA-256 of a token and prints it once', async () => {
    const { token, row } = await createToken(
      db.pool,
      { name: 'ci', role: 'template-admin', createdBy: 'alice' },
      clock.now(),
    );
    expect(token).toMatch(/^pbc_[A-Za-z0-9_-]{43}$/);
    const stored = await db.pool.query(
      (await import('slonik')).sql.unsafe`SELECT * FROM api_tokens WHERE id = ${row.id}`,
    );
    const text = JSON.stringify(stored.rows);
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(4));
    expect(stored.rows[0]?.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashToken(token)).toBe(stored.rows[0]?.token_hash);
    expect(tokenJson(row, clock.now())).toEqual({
      id: row.id,
      name: 'ci',
      role: 'template-admin',
      state: 'live',
      created_by: 'alice',
      created_at: '2026-03-02T09:00:00.000Z',
      last_used_at: null,
      expires_at: null,
      revoked_at: null,
    });
  });

  it('authenticates a database token as its name and role', async () => {
    const { token } = await createToken(
      db.pool,
      { name: 'portal', role: 'client', createdBy: 'alice' },
      clock.now(),
    );
    const response = await get(token);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ name: 'portal', role: 'client', kind: 'token' });
    const write = await app.inject({
      method: 'POST',
      url: '/api/v1/write',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(write.json()).toEqual({ name: 'portal', role: 'client', kind: 'token' });
  });

  it('keeps the configured token working as admin (bootstrap)', async () => {
    expect((await get('bootstrap-token-1')).json()).toEqual({
      name: 'bootstrap',
      role: 'admin',
      kind: 'bootstrap',
    });
    expect((await get('pbc_not-a-real-token')).json()).toMatchObject({
      code: 'unauthorized',
      message: 'invalid API token',
    });
  });

  it('refuses a revoked token at once, and an expired one', async () => {
    const { token } = await createToken(
      db.pool,
      {
        name: 'short',
        role: 'read',
        createdBy: 'alice',
        expiresAt: new Date(clock.now().getTime() + 3_600_000),
      },
      clock.now(),
    );
    expect((await get(token)).statusCode).toBe(200);
    clock.advance(3_600_000);
    expect((await get(token)).json()).toEqual({
      code: 'unauthorized',
      message: 'API token "short" expired at 2026-03-02T10:00:00.000Z',
      details: [],
    });
    const { token: other } = await createToken(
      db.pool,
      { name: 'gone', role: 'read', createdBy: 'alice' },
      clock.now(),
    );
    expect((await get(other)).statusCode).toBe(200);
    await revokeToken(db.pool, 'gone', clock.now());
    expect((await get(other)).json()).toMatchObject({
      code: 'unauthorized',
      message: 'API token "gone" revoked at 2026-03-02T10:00:00.000Z',
    });
    // The name is free again for a new token; the revoked one stays listed.
    await createToken(db.pool, { name: 'gone', role: 'read', createdBy: 'bob' }, clock.now());
    const gone = (await listTokens(db.pool)).filter((t) => t.name === 'gone');
    expect(gone.map((t) => tokenJson(t, clock.now()).state).sort()).toEqual(['live', 'revoked']);
  });

  it('records the last use at most once a minute per token', async () => {
    const { token, row } = await createToken(
      db.pool,
      { name: 'busy', role: 'read', createdBy: 'alice' },
      clock.now(),
    );
    const lastUsed = async () =>
      (await listTokens(db.pool)).find((t) => t.id === row.id)?.last_used_at?.toISOString();
    const start = clock.now().toISOString();
    await get(token);
    expect(await lastUsed()).toBe(start);
    clock.advance(30_000);
    await get(token);
    expect(await lastUsed()).toBe(start);
    const later = clock.advance(30_000).toISOString();
    await get(token);
    expect(await lastUsed()).toBe(later);
  });

  it('rejects bad names, roles, past expiry and a taken name with the field', async () => {
    await expect(
      createToken(db.pool, { name: 'bad name', role: 'root', createdBy: 'x' }, clock.now()),
    ).rejects.toMatchObject({
      status: 400,
      details: [
        { path: 'name', message: expect.stringContaining('1-64 characters') },
        { path: 'role', message: 'must be one of read, client, template-admin, admin' },
      ],
    });
    await expect(
      createToken(
        db.pool,
        { name: 'old', role: 'read', createdBy: 'x', expiresAt: new Date(0) },
        clock.now(),
      ),
    ).rejects.toMatchObject({ status: 400, details: [{ path: 'expires' }] });
    await expect(
      createToken(db.pool, { name: 'ci', role: 'read', createdBy: 'x' }, clock.now()),
    ).rejects.toMatchObject({ status: 409, message: expect.stringContaining('"ci"') });
    await expect(revokeToken(db.pool, 'nope', clock.now())).rejects.toMatchObject({
      status: 404,
    });
  });
});
