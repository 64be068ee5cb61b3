import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { prebuildsFeature } from '../../src/prebuilds/feature.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser, SYSTEM_USER_ID } from '../helpers/fixtures.js';
import type { TestDaemon } from '../jobs/helpers.js';
import { metricValue, parseExposition } from './exposition.js';
import {
  echoDaemon,
  HOUR,
  push,
  readyPrebuilds,
  reconcilerFor,
  templateYaml,
  uniqueName,
  waitForIdle,
} from './harness.js';

const db = useTestDatabase();
const clock = new FakeClock('2026-03-02T10:00:00Z');
let daemon: TestDaemon;
let app: TestApp;

beforeAll(async () => {
  app = await buildTestApp(db, [prebuildsFeature], { clock });
  daemon = await echoDaemon(db, clock);
});
afterAll(async () => {
  await daemon.stop();
  await app.close();
});

const create = (body: Record<string, unknown>) =>
  app.app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: AUTH, payload: body });

const Build = z.object({
  workspace_id: z.string(),
  build_number: z.number(),
  transition: z.string(),
  reason: z.string(),
  initiator_id: z.string(),
  template_version_preset_id: z.string().nullable(),
});

describe('POST /api/v1/workspaces: claims', () => {
  it('32 concurrent claims against 10 ready prebuilds: 10 claimed once each, 22 built, pool replenished', async () => {
    const name = uniqueName('claims');
    const { presets } = await push(
      db,
      templateYaml(name, [{ name: 'warm', instances: 10 }], 'lifecycle: { default_ttl: 8h }'),
    );
    const preset = presets.warm as string;
    const reconciler = reconcilerFor(db, clock);
    expect((await reconciler.reconcileOnce()).created).toBe(10);
    await waitForIdle(db.pool);
    const pool = await readyPrebuilds(db.pool, preset);
    expect(pool).toHaveLength(10);

    const users = await Promise.all(Array.from({ length: 32 }, () => createUser(db.pool)));
    const responses = await Promise.all(
      users.map((owner, i) => create({ owner, template: name, preset: 'warm', name: `dev-${i}` })),
    );
    for (const response of responses) expect(response.statusCode).toBe(201);
    const bodies = responses.map((response) => response.json());
    const claimed = bodies.filter((body) => body.claimed);
    const built = bodies.filter((body) => !body.claimed);
    expect(claimed).toHaveLength(10);
    expect(built).toHaveLength(22);
    const claimedIds = claimed.map((body) => body.workspace.id);
    expect(new Set(claimedIds).size).toBe(10);
    expect(new Set(claimedIds)).toEqual(new Set(pool.map((p) => p.id)));
    for (const [i, body] of bodies.entries()) {
      expect(body.workspace).toMatchObject({
        owner_id: users[i],
        name: `dev-${i}`,
        preset_name: 'warm',
        ttl_ms: 8 * HOUR,
        last_used_at: clock.now().toISOString(),
      });
      expect(body.build).toMatchObject({
        transition: 'start',
        reason: body.claimed ? 'claim' : 'initiator',
        initiator_id: users[i],
        preset_id: preset,
        build_number: body.claimed ? 2 : 1,
        job_status: 'pending',
      });
    }
    // No workspace was handed out twice: every claimed one has exactly one claim build.
    const claimBuilds = await db.pool.any(
      sql.type(Build)`SELECT workspace_id, build_number, transition::text, reason::text,
        initiator_id, template_version_preset_id FROM workspace_builds WHERE reason = 'claim'`,
    );
    expect(claimBuilds).toHaveLength(10);
    expect(new Set(claimBuilds.map((b) => b.workspace_id))).toEqual(new Set(claimedIds));

    // The claims count in the histogram, the fallbacks as misses.
    // The second scrape: a new claim-duration series shows at 0 in one scrape first.
    await app.app.inject({ method: 'GET', url: '/metrics' });
    const metrics = parseExposition(
      (await app.app.inject({ method: 'GET', url: '/metrics' })).body,
    );
    const labels = { organization_name: 'default', template_name: name, preset_name: 'warm' };
    expect(
      metricValue(metrics, 'coderd_prebuilt_workspace_claim_duration_seconds_count', labels),
    ).toBe(10);
    expect(metricValue(metrics, 'coderd_prebuilt_workspace_claim_misses_total', labels)).toBe(22);

    // The reconciler refills the pool to its desired size.
    await waitForIdle(db.pool);
    expect((await reconciler.reconcileOnce()).created).toBe(10);
    await waitForIdle(db.pool);
    expect(await reconciler.reconcileOnce()).toMatchObject({ created: 0, deleted: 0 });
    const refilled = await readyPrebuilds(db.pool, preset);
    expect(refilled).toHaveLength(10);
    expect(refilled.some((p) => claimedIds.includes(p.id))).toBe(false);
    const owners = await db.pool.anyFirst(
      sql.type(z.object({ owner_id: z.string() }))`
        SELECT owner_id FROM workspaces WHERE id = ANY(${sql.array(claimedIds, 'uuid')})`,
    );
    expect(owners.filter((owner) => owner === SYSTEM_USER_ID)).toEqual([]);
  });

  it('picks the preset by parameters (largest exact subset), else the default preset', async () => {
    const name = uniqueName('match');
    const { presets } = await push(
      db,
      templateYaml(name, [
        { name: 'small', instances: 1, parameters: { region: 'eu' }, isDefault: true },
        { name: 'large', instances: 1, parameters: { region: 'eu', cpus: '16' } },
      ]),
    );
    await reconcilerFor(db, clock).reconcileOnce();
    await waitForIdle(db.pool);
    const owner = await createUser(db.pool);

    const byParams = await create({
      owner,
      template: name,
      name: 'a',
      parameters: { region: 'eu', cpus: '16', editor: 'vim' },
    });
    expect(byParams.statusCode).toBe(201);
    expect(byParams.json()).toMatchObject({
      claimed: true,
      workspace: { preset_id: presets.large, preset_name: 'large' },
    });
    const byDefault = await create({ owner, template: name, name: 'b' });
    expect(byDefault.json()).toMatchObject({
      claimed: true,
      workspace: { preset_name: 'small' },
    });
    // Parameters that match no preset: a plain build without a preset.
    const none = await create({ owner, template: name, name: 'c', parameters: { region: 'us' } });
    expect(none.json()).toMatchObject({
      claimed: false,
      workspace: { preset_id: null },
      build: { preset_id: null, reason: 'initiator' },
    });
  });

  it('sets the autostart schedule, next start and TTL of the claimed workspace', async () => {
    const name = uniqueName('sched');
    await push(db, templateYaml(name, [{ name: 'p', instances: 1 }]));
    await reconcilerFor(db, clock).reconcileOnce();
    await waitForIdle(db.pool);
    const owner = await createUser(db.pool);
    const response = await create({
      owner,
      template: name,
      preset: 'p',
      name: 'morning',
      autostart_schedule: 'CRON_TZ=Europe/Paris 30 8 * * 1-5',
      ttl_ms: 2 * HOUR + 30_000,
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      claimed: true,
      workspace: {
        autostart_schedule: 'CRON_TZ=Europe/Paris 30 8 * * 1-5',
        // Monday 2026-03-02 10:00Z is past 08:30 in Paris: next is Tuesday 07:30Z.
        next_start_at: '2026-03-03T07:30:00.000Z',
        ttl_ms: 2 * HOUR,
      },
    });
  });
});

describe('POST /api/v1/workspaces: bad input', () => {
  let template: string;
  let owner: string;
  beforeAll(async () => {
    template = uniqueName('bad');
    await push(
      db,
      templateYaml(
        template,
        [{ name: 'p', instances: 0 }],
        'lifecycle: { allow_user_autostop: false }',
      ),
    );
    owner = await createUser(db.pool, { username: uniqueName('owner') });
    await create({ owner, template, name: 'taken' });
  });

  it.each([
    [{ template: 'x', name: 'n' }, 400, 'owner'],
    [{ owner: 'o', template: 'x', name: 'n', color: 'red' }, 400, 'color'],
    [{ owner: 'o', template: 'x', name: 'n', parameters: { a: 1 } }, 400, 'parameters.a'],
    [{ owner: 'o', template: 'x', name: 'n', ttl_ms: 'long' }, 400, 'ttl_ms'],
  ])('rejects a malformed body %j', async (body, status, path) => {
    const response = await create(body);
    expect(response.statusCode).toBe(status);
    expect(response.json().details.map((d: { path: string }) => d.path)).toContain(path);
  });

  const cases: [string, () => Record<string, unknown>, number, string, string][] = [
    [
      'unknown owner',
      () => ({ owner: 'nobody-here', template, name: 'n' }),
      404,
      'owner',
      'no user',
    ],
    ['system owner', () => ({ owner: 'prebuilds', template, name: 'n' }), 400, 'owner', 'system'],
    [
      'unknown template',
      () => ({ owner, template: 'nope', name: 'n' }),
      404,
      'template',
      'no template',
    ],
    [
      'unknown preset',
      () => ({ owner, template, preset: 'q', name: 'n' }),
      404,
      'preset',
      'presets: p',
    ],
    ['bad name', () => ({ owner, template, name: '-bad name' }), 400, 'name', 'letters'],
    ['taken name', () => ({ owner, template, name: 'TAKEN' }), 409, 'name', 'already has'],
    [
      'bad autostart',
      () => ({ owner, template, name: 'n', autostart_schedule: '30 8 1 * *' }),
      400,
      'autostart_schedule',
      'day-of-month',
    ],
    [
      'TTL the template forbids',
      () => ({ owner, template, name: 'n', ttl_ms: 3_600_000 }),
      400,
      'ttl_ms',
      'does not allow',
    ],
  ];
  it.each(cases)('%s', async (_what, body, status, path, message) => {
    const before = await db.pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM workspaces`,
    );
    const response = await create(body());
    expect(response.statusCode).toBe(status);
    const json = response.json();
    expect(json.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(json.message).toContain(message);
    // Nothing half-written.
    expect(
      await db.pool.oneFirst(
        sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM workspaces`,
      ),
    ).toBe(before);
  });

  it('rejects a suspended owner and a deprecated template', async () => {
    const suspended = await createUser(db.pool, { status: 'suspended' });
    const response = await create({ owner: suspended, template, name: 'n' });
    expect(response.statusCode).toBe(400);
    expect(response.json().details).toEqual([
      { path: 'owner', message: expect.stringContaining('suspended') },
    ]);
    await db.pool.query(
      sql.unsafe`UPDATE templates SET deprecated = 'use v2' WHERE name = ${template}`,
    );
    const deprecated = await create({ owner, template, name: 'n' });
    expect(deprecated.statusCode).toBe(400);
    expect(deprecated.json().message).toContain('deprecated: use v2');
  });
});
