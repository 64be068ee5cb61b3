import type { FastifyInstance } from 'fastify';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/registry.js';
import type { ControllerContext } from '../../src/service/controller.js';
import { FEATURES } from '../../src/service/features.js';
import { templatesFeature } from '../../src/templates/feature.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { EXAMPLE, exampleNamed, templateRowCounts } from './helpers.js';

const db = useTestDatabase();
const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let app: FastifyInstance;

beforeAll(async () => {
  const context = {
    pool: db.pool,
    clock: new FakeClock('2026-11-23T15:00:00Z'),
    logger: silentLogger(),
  } as unknown as ControllerContext;
  app = await buildApp({
    logger: silentLogger(),
    registry: createRegistry(),
    apiToken: TOKEN,
    readiness: async () => ({ ready: true, checks: {} }),
    api: templatesFeature(context).api ?? [],
  });
});
afterAll(async () => {
  await app.close();
});

const yamlPost = (body: string, query = '') =>
  app.inject({
    method: 'POST',
    url: `/api/v1/templates${query}`,
    headers: { ...auth, 'content-type': 'application/yaml' },
    payload: body,
  });

describe('POST /api/v1/templates', () => {
  it('is part of the features `run` hosts', () => {
    expect(FEATURES).toContain(templatesFeature);
  });

  it('needs the token', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/templates', payload: {} });
    expect(response.statusCode).toBe(401);
  });

  it('creates a version from YAML (201), then answers 200 changed:false for the same content', async () => {
    const first = await yamlPost(EXAMPLE);
    expect(first.statusCode).toBe(201);
    const body = first.json<{
      template: { id: string; name: string; organization: string; active_version_id: string };
      version: { id: string; name: string; content_hash: string; created_at: string };
      changed: boolean;
    }>();
    expect(body).toMatchObject({
      template: { name: 'dev-env', organization: 'default' },
      version: { name: 'v1' },
      changed: true,
    });
    expect(body.template.active_version_id).toBe(body.version.id);
    expect(body.version.content_hash).toMatch(/^sha256:/);

    const again = await yamlPost(`# unchanged\n${EXAMPLE}`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({
      changed: false,
      version: { id: body.version.id, name: 'v1' },
    });
  });

  it('accepts JSON', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/templates',
      headers: auth,
      payload: {
        name: 'json-template',
        presets: [{ name: 'small', prebuilds: { instances: 2 } }],
      },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ template: { name: 'json-template' }, changed: true });
  });

  it('rejects an invalid config with 400, every problem in details, and writes nothing', async () => {
    const before = await templateRowCounts(db.pool);
    const invalid = exampleNamed('broken', [
      ["- { cron: '* 8-18 * * 1-5', instances: 3 }", "- { cron: '0 8-18 * * 1-5', instances: 3 }"],
      ["- { cron: '* 8-14 * * 6', instances: 1 }", "- { cron: '* 8-14 * * 5-6', instances: 1 }"],
      ['timezone: Europe/Berlin', 'timezone: Europe/Berlinn'],
      ['default_ttl: 8h', 'default_ttl: 8 hours'],
    ]);
    const response = await yamlPost(invalid);
    expect(response.statusCode).toBe(400);
    const body = response.json<{
      code: string;
      message: string;
      details: { path: string; message: string }[];
    }>();
    expect(body.code).toBe('bad_request');
    expect(body.details).toEqual([
      {
        path: 'lifecycle.default_ttl',
        message: 'must be a duration such as "30m", "8h", "7d", "1h30m" or 0',
      },
      {
        path: 'presets[0].prebuilds.scheduling.schedule[0].cron',
        message: 'minute field must be "*"',
      },
      {
        path: 'presets[1].prebuilds.scheduling.timezone',
        message:
          '"Europe/Berlinn" is not an IANA time zone (examples: UTC, Europe/Berlin, America/New_York)',
      },
    ]);
    expect(body.message).toMatch(/^the template config has 3 problems: lifecycle\.default_ttl: /);
    expect(await templateRowCounts(db.pool)).toEqual(before);

    const overlap = await yamlPost(
      exampleNamed('broken', [
        ["- { cron: '* 8-14 * * 6', instances: 1 }", "- { cron: '* 8-14 * * 5-6', instances: 1 }"],
      ]),
    );
    expect(overlap.statusCode).toBe(400);
    expect(overlap.json<{ details: unknown[] }>().details).toEqual([
      {
        path: 'presets[0].prebuilds.scheduling.schedule[1].cron',
        message:
          '"* 8-14 * * 5-6" overlaps "* 8-18 * * 1-5" (schedule[0]): both cover Friday, January 1, 08:00-08:59 local time',
      },
    ]);
    expect(await templateRowCounts(db.pool)).toEqual(before);
  });

  it('rejects YAML that does not parse, and an empty body', async () => {
    const broken = await yamlPost('name: [');
    expect(broken.statusCode).toBe(400);
    expect(broken.json<{ message: string }>().message).toMatch(/not valid YAML/);
    const empty = await app.inject({
      method: 'POST',
      url: '/api/v1/templates',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
  });

  it('dry_run=true answers the plan and writes nothing', async () => {
    const before = await templateRowCounts(db.pool);
    const response = await yamlPost(
      EXAMPLE.replace('default_ttl: 8h', 'default_ttl: 9h'),
      '?dry_run=true',
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      plan: { action: 'update', version: 'v2', changes: ['~ lifecycle.default_ttl: "8h" -> "9h"'] },
    });
    expect(await templateRowCounts(db.pool)).toEqual(before);
    const bad = await yamlPost(EXAMPLE, '?dry_run=maybe');
    expect(bad.statusCode).toBe(400);
  });
});

describe('GET /api/v1/templates', () => {
  it('lists templates with active version, presets and prebuild config', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/templates', headers: auth });
    expect(response.statusCode).toBe(200);
    const { templates } = response.json<{ templates: Record<string, unknown>[] }>();
    expect(templates.map((t) => t.name)).toEqual(['dev-env', 'json-template']);
    expect(templates[0]).toMatchObject({
      organization: 'default',
      provisioner: 'echo',
      active_version: { name: 'v1', tags: { region: 'us-east' } },
      lifecycle: { default_ttl_ms: 28_800_000, time_til_autostop_notify_ms: 1_800_000 },
    });
    const presets = templates[0]?.presets as { name: string; prebuilds: unknown }[];
    expect(presets.find((p) => p.name === 'us-nix')?.prebuilds).toEqual({
      instances: 0,
      expiration_policy: { ttl: 86400 },
      scheduling: {
        timezone: 'America/New_York',
        schedule: [
          { cron: '* 8-18 * * 1-5', instances: 3 },
          { cron: '* 8-14 * * 6', instances: 1 },
        ],
      },
      desired_now: 3,
      next_change: { at: '2026-11-24T00:00:00.000Z', desired: 0 },
    });
    expect(templates[1]).toMatchObject({
      presets: [
        {
          name: 'small',
          default: false,
          prebuilds: { instances: 2, scheduling: null, desired_now: 2, next_change: null },
        },
      ],
    });
  });

  it('leaves out a template whose stored row cannot be read, names it, and lists the others', async () => {
    expect((await yamlPost(exampleNamed('broken-row'))).statusCode).toBe(201);
    // As a push before duration bounds could store it: beyond 2^53, which no JS number holds.
    await db.pool.query(
      sql.unsafe`UPDATE templates SET default_ttl = 86400000000000000 WHERE name = 'broken-row'`,
    );
    const response = await app.inject({ method: 'GET', url: '/api/v1/templates', headers: auth });
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      templates: { name: string }[];
      unreadable: { id: string; name: string; error: string }[];
    }>();
    expect(body.templates.map((t) => t.name)).toEqual(['dev-env', 'json-template']);
    expect(body.unreadable).toEqual([
      {
        id: expect.any(String),
        name: 'broken-row',
        error:
          'default_ttl: stored value 86400000000000000 is beyond the range this version reads (2^53)',
      },
    ]);
  });
});

describe('literal exec commands', () => {
  const template = (name: string, command: string) =>
    `name: ${name}\nprovisioner: exec\nexec:\n  command: ${JSON.stringify(command)}\n`;
  const Exec = z.object({ exec: z.unknown() });
  const storedExec = async (versionId: string) =>
    db.pool.oneFirst(
      sql.type(
        Exec,
      )`SELECT config -> 'exec' AS exec FROM template_versions WHERE id = ${versionId}`,
    );

  it('records that an admin pushed a literal command; a named one is stored as written', async () => {
    const literal = await yamlPost(template('literal-exec', './build.sh --all'));
    expect(literal.statusCode).toBe(201);
    const literalVersion = literal.json<{ version: { id: string } }>().version.id;
    expect(await storedExec(literalVersion)).toEqual({
      command: './build.sh --all',
      pushed_by_admin: true,
    });
    const named = await yamlPost(template('named-exec', 'build'));
    expect(named.statusCode).toBe(201);
    expect(await storedExec(named.json<{ version: { id: string } }>().version.id)).toEqual({
      command: 'build',
    });
    // The same content again is unchanged, the record included.
    const again = await yamlPost(template('literal-exec', './build.sh --all'));
    expect(again.json()).toMatchObject({ changed: false });
  });
});
