import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { workspacesFeature } from '../../src/workspaces/feature.js';
import { AUTH, buildTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import {
  createPreset,
  createPrebuild,
  createTemplateVersion,
  createUser,
} from '../helpers/fixtures.js';
import { at, buildsOf, HOUR, messagesAbout, MIN, plus } from '../lifecycle/harness.js';
import { lifecycleWorkspace } from '../lifecycle/setup.js';

const db = useTestDatabase();
const NOW = at('2025-06-04T12:00:00Z'); // a Wednesday
const clock = new FakeClock(NOW);
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp(db, [workspacesFeature], { clock });
});
afterAll(() => t.close());

const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: AUTH,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });

/** A running workspace started at 08:00, deadline 16:00, max deadline tomorrow 00:00. */
function running(options: Parameters<typeof lifecycleWorkspace>[1] = {}) {
  return lifecycleWorkspace(db.pool, {
    ...options,
    workspace: { lastUsedAt: at('2025-06-04T08:00:00Z'), ...options.workspace },
    build: {
      createdAt: at('2025-06-04T08:00:00Z'),
      deadline: at('2025-06-04T16:00:00Z'),
      maxDeadline: at('2025-06-05T00:00:00Z'),
      ...options.build,
    },
  });
}

describe('GET /workspaces and /workspaces/:id', () => {
  it('lists workspaces with their latest build, filtered by owner and template', async () => {
    const alice = await createUser(db.pool, { username: 'alice-ws' });
    const a = await running({
      ownerId: alice,
      workspace: { name: 'dev', autostartSchedule: 'CRON_TZ=UTC 0 9 * * 1-5', ttlMs: 8 * HOUR },
      template: { name: 'listed-tpl' },
    });
    await running();
    const listed = await call('GET', '/workspaces?owner=ALICE-WS');
    expect(listed.statusCode).toBe(200);
    expect(listed.json().workspaces).toEqual([
      {
        id: a.workspaceId,
        name: 'dev',
        owner_id: alice,
        owner: 'alice-ws',
        template_id: a.templateId,
        template: 'listed-tpl',
        organization: 'default',
        autostart_schedule: 'CRON_TZ=UTC 0 9 * * 1-5',
        next_start_at: null,
        ttl_ms: 8 * HOUR,
        last_used_at: '2025-06-04T08:00:00.000Z',
        dormant_at: null,
        deleting_at: null,
        automatic_updates: 'never',
        deleted: false,
        created_at: expect.any(String),
        latest_build: {
          id: a.buildId,
          build_number: 1,
          transition: 'start',
          reason: 'initiator',
          status: 'succeeded',
          job_id: a.jobId,
          deadline: '2025-06-04T16:00:00.000Z',
          max_deadline: '2025-06-05T00:00:00.000Z',
          template_version_id: a.versionId,
          preset_id: null,
          created_at: '2025-06-04T08:00:00.000Z',
        },
      },
    ]);
    const byTemplate = await call('GET', `/workspaces?template=listed-tpl&owner=${alice}`);
    expect(byTemplate.json().workspaces.map((w: { id: string }) => w.id)).toEqual([a.workspaceId]);
    expect((await call('GET', '/workspaces?owner=nobody')).json()).toEqual({
      workspaces: [],
      next_cursor: null,
    });
    expect((await call('GET', '/workspaces')).json().workspaces.length).toBeGreaterThanOrEqual(2);
  });

  it('shows one workspace; an unknown id is 404, an unknown filter 400', async () => {
    const a = await running();
    const shown = await call('GET', `/workspaces/${a.workspaceId}`);
    expect(shown.json()).toMatchObject({ id: a.workspaceId, latest_build: { id: a.buildId } });
    for (const id of ['7d3c0d8e-5f0a-4b3e-9a43-000000000000', 'not-a-uuid']) {
      const missing = await call('GET', `/workspaces/${id}`);
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ code: 'not_found' });
    }
    const bad = await call('GET', '/workspaces?color=red');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details).toEqual([{ path: 'color', message: 'unknown field' }]);
  });
});

describe('GET /workspaces pages', () => {
  const names = (page: { json(): { workspaces: { name: string }[] } }) =>
    page.json().workspaces.map((w) => w.name);

  it('pages in owner/name order (ignoring case): each page after the last row shown, nothing repeated or lost', async () => {
    const owner = await createUser(db.pool, { username: 'pager' });
    const created = new Map<string, string>();
    for (const name of ['a', 'b', 'c', 'D', 'e', 'f', 'g']) {
      created.set(name, (await running({ ownerId: owner, workspace: { name } })).workspaceId);
    }
    const first = await call('GET', '/workspaces?owner=pager&limit=3');
    expect(first.statusCode).toBe(200);
    expect(names(first)).toEqual(['a', 'b', 'c']);
    const cursor1 = first.json().next_cursor as string;
    expect(cursor1).toMatch(/^[A-Za-z0-9_-]+$/);

    // Between pages: a shown row is deleted and a row sorting before the cursor is created.
    await db.pool.query(
      sql.unsafe`UPDATE workspaces SET deleted = true WHERE id = ${created.get('b')!}`,
    );
    await running({ ownerId: owner, workspace: { name: 'aa' } });
    const second = await call('GET', `/workspaces?owner=pager&limit=3&after=${cursor1}`);
    expect(names(second)).toEqual(['D', 'e', 'f']);
    const third = await call(
      'GET',
      `/workspaces?owner=pager&limit=3&after=${second.json().next_cursor as string}`,
    );
    expect(third.json()).toMatchObject({ next_cursor: null });
    expect(names(third)).toEqual(['g']);

    // An exact fit ends with a null cursor only when no row follows.
    const exact = await call('GET', '/workspaces?owner=pager&limit=7');
    expect(names(exact)).toEqual(['a', 'aa', 'c', 'D', 'e', 'f', 'g']);
    expect(exact.json().next_cursor).toBeNull();
    const all = await call('GET', '/workspaces?owner=pager');
    expect(names(all)).toEqual(['a', 'aa', 'c', 'D', 'e', 'f', 'g']);
  });

  it('defaults to 100 a page; a bad limit or cursor is a 400 naming the field', async () => {
    const owner = await createUser(db.pool, { username: 'many' });
    const template = await running({ ownerId: owner, workspace: { name: 'w000' } });
    await db.pool.query(sql.unsafe`
      INSERT INTO workspaces (owner_id, organization_id, template_id, name)
      SELECT owner_id, organization_id, template_id, 'w' || lpad(n::text, 3, '0')
      FROM workspaces, generate_series(1, 100) n WHERE id = ${template.workspaceId}`);
    const page = await call('GET', '/workspaces?owner=many');
    expect(page.json().workspaces).toHaveLength(100);
    const rest = await call(
      'GET',
      `/workspaces?owner=many&after=${page.json().next_cursor as string}`,
    );
    expect(names(rest)).toEqual(['w100']);
    expect(rest.json().next_cursor).toBeNull();

    for (const limit of ['0', '1001', '-1', 'ten', '99999']) {
      const bad = await call('GET', `/workspaces?limit=${limit}`);
      expect(bad.statusCode, limit).toBe(400);
      expect(bad.json().details.map((d: { path: string }) => d.path)).toEqual(['limit']);
    }
    const forged = Buffer.from(JSON.stringify(['a', 7])).toString('base64url');
    for (const after of ['%21%21', 'bm90IGpzb24', forged]) {
      const bad = await call('GET', `/workspaces?after=${after}`);
      expect(bad.statusCode, after).toBe(400);
      expect(bad.json()).toMatchObject({ details: [{ path: 'after' }] });
    }
  });
});

describe('POST /workspaces/:id/builds', () => {
  it('creates a manual build (reason initiator), 409 while a build is in progress', async () => {
    const a = await running();
    const stop = await call('POST', `/workspaces/${a.workspaceId}/builds`, { transition: 'stop' });
    expect(stop.statusCode).toBe(201);
    expect(stop.json()).toMatchObject({
      workspace_id: a.workspaceId,
      build_number: 2,
      transition: 'stop',
      reason: 'initiator',
      status: 'pending',
      created_at: NOW.toISOString(),
    });
    const again = await call('POST', `/workspaces/${a.workspaceId}/builds`, {
      transition: 'start',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/already has a pending build/);
  });

  it('deletes a workspace with a delete build', async () => {
    const a = await running({ build: { transition: 'stop' } });
    const res = await call('POST', `/workspaces/${a.workspaceId}/builds`, { transition: 'delete' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      transition: 'delete',
      reason: 'initiator',
      build_number: 2,
    });
  });

  it('starts on the active version when the template requires it', async () => {
    const a = await running({
      template: { requireActiveVersion: true },
      build: { transition: 'stop' },
    });
    const active = await createTemplateVersion(db.pool, { templateId: a.templateId });
    const start = await call('POST', `/workspaces/${a.workspaceId}/builds`, {
      transition: 'start',
    });
    expect(start.json()).toMatchObject({ transition: 'start', template_version_id: active });
  });

  it('rejects bad transitions, unknown workspaces, prebuilds and starting a dormant workspace', async () => {
    const a = await running({ workspace: { dormantAt: at('2025-06-01T00:00:00Z') } });
    const bad = await call('POST', `/workspaces/${a.workspaceId}/builds`, { transition: 'pause' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0]).toMatchObject({ path: 'transition' });
    const missing = await call('POST', `/workspaces/${a.workspaceId}/builds`, {});
    expect(missing.json().details[0]).toMatchObject({ path: 'transition' });
    const unknown = await call('POST', '/workspaces/7d3c0d8e-5f0a-4b3e-9a43-000000000000/builds', {
      transition: 'stop',
    });
    expect(unknown.statusCode).toBe(404);
    const dormant = await call('POST', `/workspaces/${a.workspaceId}/builds`, {
      transition: 'start',
    });
    expect(dormant.statusCode).toBe(409);
    expect(dormant.json().message).toMatch(/dormant/);
    const presetId = await createPreset(db.pool, { versionId: a.versionId });
    const pre = await createPrebuild(db.pool, {
      templateId: a.templateId,
      versionId: a.versionId,
      presetId,
    });
    const refused = await call('POST', `/workspaces/${pre.workspaceId}/builds`, {
      transition: 'stop',
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toMatch(/prebuilt workspace/);
    for (const [url, payload] of [
      ['autostart', { schedule: null }],
      ['ttl', { ttl_ms: null }],
      ['dormant', { dormant: true }],
    ] as const) {
      const res = await call('PUT', `/workspaces/${pre.workspaceId}/${url}`, payload);
      expect(res.statusCode).toBe(409);
    }
    expect((await call('POST', `/workspaces/${pre.workspaceId}/activity`)).statusCode).toBe(409);
  });
});

describe('PUT /workspaces/:id/autostart', () => {
  it('sets a schedule and its next start (from now), and removes it', async () => {
    const a = await running();
    const set = await call('PUT', `/workspaces/${a.workspaceId}/autostart`, {
      schedule: 'CRON_TZ=Europe/Berlin 30 8 * * 1-5',
    });
    expect(set.statusCode).toBe(200);
    // Wednesday 12:00 UTC: the next 08:30 Berlin (06:30 UTC) is Thursday.
    expect(set.json()).toMatchObject({
      autostart_schedule: 'CRON_TZ=Europe/Berlin 30 8 * * 1-5',
      next_start_at: '2025-06-05T06:30:00.000Z',
      warnings: [],
    });
    const removed = await call('PUT', `/workspaces/${a.workspaceId}/autostart`, {
      schedule: null,
    });
    expect(removed.json()).toMatchObject({ autostart_schedule: null, next_start_at: null });
  });

  it('answers 400 naming the field for bad schedules and templates without user autostart', async () => {
    const a = await running();
    const bad = await call('PUT', `/workspaces/${a.workspaceId}/autostart`, {
      schedule: '0 9 1 * *',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details).toEqual([
      { path: 'schedule', message: 'schedule "0 9 1 * *": day-of-month: must be "*" (got "1")' },
    ]);
    const zone = await call('PUT', `/workspaces/${a.workspaceId}/autostart`, {
      schedule: 'CRON_TZ=Mars/Olympus 0 9 * * *',
    });
    expect(zone.json().details[0].message).toMatch(/not an IANA time zone/);
    const wrongType = await call('PUT', `/workspaces/${a.workspaceId}/autostart`, { schedule: 9 });
    expect(wrongType.json().details[0]).toMatchObject({ path: 'schedule' });
    const noField = await call('PUT', `/workspaces/${a.workspaceId}/autostart`, {});
    expect(noField.json().details[0]).toMatchObject({ path: 'schedule' });
    const forbidden = await running({ template: { allowUserAutostart: false } });
    const refused = await call('PUT', `/workspaces/${forbidden.workspaceId}/autostart`, {
      schedule: '0 9 * * *',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().details).toEqual([
      { path: 'schedule', message: 'the template does not allow autostart for its workspaces' },
    ]);
  });

  it('keeps a schedule that only fires on blocked days, with a warning', async () => {
    const a = await running({ template: { autostartBlockDaysOfWeek: 0b1100000 } });
    const res = await call('PUT', `/workspaces/${a.workspaceId}/autostart`, {
      schedule: '0 9 * * sat,sun',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ next_start_at: null });
    expect(res.json().warnings[0]).toMatch(/only fires on days the template blocks/);
  });
});

describe('PUT /workspaces/:id/ttl', () => {
  it('sets a TTL (whole minutes) and removing it clears the running deadline', async () => {
    const a = await running();
    const set = await call('PUT', `/workspaces/${a.workspaceId}/ttl`, { ttl_ms: 90 * MIN + 5000 });
    expect(set.json()).toMatchObject({
      ttl_ms: 90 * MIN,
      // A new TTL applies from the next start.
      latest_build: { deadline: '2025-06-04T16:00:00.000Z' },
    });
    const removed = await call('PUT', `/workspaces/${a.workspaceId}/ttl`, { ttl_ms: null });
    expect(removed.json()).toMatchObject({
      ttl_ms: null,
      latest_build: {
        deadline: '2025-06-05T00:00:00.000Z',
        max_deadline: '2025-06-05T00:00:00.000Z',
      },
    });
  });

  it.each([
    [{ ttl_ms: 59_999 }, 'must be at least 1 minute (60000)'],
    [{ ttl_ms: 31 * 24 * HOUR }, 'must be at most 30 days (2592000000)'],
    [{ ttl_ms: 1.5 }, 'must be integer,null'],
    [{ ttl_ms: '1h' }, 'must be integer,null'],
  ])('rejects %j', async (payload, message) => {
    const a = await running();
    const res = await call('PUT', `/workspaces/${a.workspaceId}/ttl`, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().details[0]).toEqual({ path: 'ttl_ms', message });
  });

  it('refuses a TTL when the template does not let users set autostop', async () => {
    const a = await running({ template: { allowUserAutostop: false } });
    const res = await call('PUT', `/workspaces/${a.workspaceId}/ttl`, { ttl_ms: HOUR });
    expect(res.statusCode).toBe(400);
    expect(res.json().details[0].message).toMatch(/does not allow users to set their autostop/);
  });
});

describe('PUT /workspaces/:id/extend', () => {
  it('moves the deadline of the running build', async () => {
    const a = await running();
    const res = await call('PUT', `/workspaces/${a.workspaceId}/extend`, {
      deadline: '2025-06-04T20:00:00+02:00',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().latest_build.deadline).toBe('2025-06-04T18:00:00.000Z');
  });

  it.each([
    ['2025-06-04T12:29:00Z', 'must be at least 30 minutes in the future'],
    ['2025-06-05T00:00:01Z', 'must not be after the max deadline 2025-06-05T00:00:00.000Z'],
    ['tomorrow', 'must be an ISO 8601 timestamp'],
    ['2025-06-04', 'must be an ISO 8601 timestamp'],
  ])('rejects %s', async (deadline, message) => {
    const a = await running();
    const res = await call('PUT', `/workspaces/${a.workspaceId}/extend`, { deadline });
    expect(res.statusCode).toBe(400);
    expect(res.json().details[0].path).toBe('deadline');
    expect(res.json().details[0].message).toContain(message);
  });

  it('refuses to extend a stopped workspace or one without deadline', async () => {
    const stopped = await running({ build: { transition: 'stop' } });
    const res = await call('PUT', `/workspaces/${stopped.workspaceId}/extend`, {
      deadline: '2025-06-04T18:00:00Z',
    });
    expect(res.json().details[0].message).toMatch(/not running/);
    const manual = await lifecycleWorkspace(db.pool, { build: { createdAt: NOW } });
    const none = await call('PUT', `/workspaces/${manual.workspaceId}/extend`, {
      deadline: '2025-06-04T18:00:00Z',
    });
    expect(none.json().details[0].message).toMatch(/no autostop deadline/);
  });
});

describe('PUT /workspaces/:id/dormant', () => {
  it('marks a running workspace dormant, stops it and tells the owner; off clears it', async () => {
    const a = await running({
      template: { timeTilDormantAutodeleteMs: 7 * 24 * HOUR },
      workspace: { autostartSchedule: '0 9 * * *' },
    });
    const on = await call('PUT', `/workspaces/${a.workspaceId}/dormant`, { dormant: true });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toMatchObject({
      dormant_at: NOW.toISOString(),
      deleting_at: plus(NOW, 7 * 24 * HOUR).toISOString(),
      next_start_at: null,
      latest_build: { transition: 'stop', reason: 'dormancy', status: 'pending' },
    });
    expect((await messagesAbout(db.pool, a.workspaceId)).map((m) => m.template).sort()).toEqual([
      'workspace_dormant',
      'workspace_marked_for_deletion',
    ]);
    // Idempotent: no second build.
    await call('PUT', `/workspaces/${a.workspaceId}/dormant`, { dormant: true });
    expect(await buildsOf(db.pool, a.workspaceId)).toHaveLength(2);
    clock.set(plus(NOW, HOUR));
    const off = await call('PUT', `/workspaces/${a.workspaceId}/dormant`, { dormant: false });
    clock.set(NOW);
    expect(off.json()).toMatchObject({
      dormant_at: null,
      deleting_at: null,
      last_used_at: plus(NOW, HOUR).toISOString(),
      next_start_at: '2025-06-05T09:00:00.000Z',
    });
    const bad = await call('PUT', `/workspaces/${a.workspaceId}/dormant`, { dormant: 'yes' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0]).toMatchObject({ path: 'dormant' });
  });
});

describe('POST /workspaces/:id/activity', () => {
  it('sets last_used_at and bumps a deadline that is close', async () => {
    // Deadline 12:30, bump 1 h: the deadline moves to 13:00.
    const a = await running({ build: { deadline: plus(NOW, 30 * MIN) } });
    const res = await call('POST', `/workspaces/${a.workspaceId}/activity`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      bumped: true,
      last_used_at: NOW.toISOString(),
      latest_build: { deadline: plus(NOW, HOUR).toISOString() },
    });
    // Far from the deadline (16:00): only last_used_at moves.
    const far = await running();
    const quiet = await call('POST', `/workspaces/${far.workspaceId}/activity`);
    expect(quiet.json()).toMatchObject({
      bumped: false,
      last_used_at: NOW.toISOString(),
      latest_build: { deadline: '2025-06-04T16:00:00.000Z' },
    });
    expect((await call('POST', '/workspaces/nope/activity')).statusCode).toBe(404);
  });
});
