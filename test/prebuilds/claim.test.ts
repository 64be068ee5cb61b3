import { sql } from 'slonik';
import { beforeAll, describe, expect, it } from 'vitest';

import { claimPrebuiltWorkspace } from '../../src/prebuilds/claim.js';
import { useTestDatabase } from '../helpers/db.js';
import {
  createBuild,
  createPreset,
  createPrebuild,
  createTemplate,
  createTemplateVersion,
  createUser,
  SYSTEM_USER_ID,
} from '../helpers/fixtures.js';

const db = useTestDatabase();
const HOUR = 3_600_000;

let user: string;
beforeAll(async () => {
  user = await createUser(db.pool);
});

/** A template with an old version v1 and an active v2, one preset with prebuilds on each. */
async function setup(
  preset: { ttlSecs?: number; lastInvalidatedAt?: Date } = {},
  template: { deleted?: boolean } = {},
) {
  const templateId = await createTemplate(db.pool, template);
  const v1 = await createTemplateVersion(db.pool, { templateId });
  const oldPreset = await createPreset(db.pool, { versionId: v1, name: 'p', desiredInstances: 1 });
  const v2 = await createTemplateVersion(db.pool, { templateId });
  const presetId = await createPreset(db.pool, {
    versionId: v2,
    name: 'p',
    desiredInstances: 1,
    ...preset,
  });
  return { templateId, v1, v2, oldPreset, presetId };
}

const claim = (presetId: string, name = `claimed-${Math.random().toString(36).slice(2, 10)}`) =>
  claimPrebuiltWorkspace(db.pool, {
    presetId,
    ownerId: user,
    name,
    autostartSchedule: null,
    nextStartAt: null,
    ttlMs: null,
    now: new Date(),
  });

type Setup = Awaited<ReturnType<typeof setup>>;

interface Case {
  name: string;
  preset?: Parameters<typeof setup>[0];
  template?: Parameters<typeof setup>[1];
  /** Creates the one candidate; returns the id of the workspace and the preset to claim from. */
  given: (s: Setup) => Promise<{ workspaceId: string; claimFrom?: string }>;
  claimed: boolean;
}

const ready = (s: Setup, extra: Partial<Parameters<typeof createPrebuild>[1]> = {}) =>
  createPrebuild(db.pool, {
    templateId: s.templateId,
    versionId: s.v2,
    presetId: s.presetId,
    ...extra,
  });

const cases: Case[] = [
  { name: 'ready, active version: claimed', given: (s) => ready(s), claimed: true },
  { name: 'agent not ready: no', given: (s) => ready(s, { ready: false }), claimed: false },
  { name: 'no agent: no', given: (s) => ready(s, { noAgent: true }), claimed: false },
  {
    name: 'creation still running: no',
    given: (s) => ready(s, { jobState: 'running' }),
    claimed: false,
  },
  { name: 'creation failed: no', given: (s) => ready(s, { jobState: 'failed' }), claimed: false },
  {
    name: 'stopped: no',
    given: async (s) => {
      const p = await ready(s);
      await createBuild(db.pool, {
        workspaceId: p.workspaceId,
        versionId: s.v2,
        initiatorId: SYSTEM_USER_ID,
        transition: 'stop',
      });
      return p;
    },
    claimed: false,
  },
  {
    name: 'old version preset: never claimed',
    given: async (s) => ({
      ...(await createPrebuild(db.pool, {
        templateId: s.templateId,
        versionId: s.v1,
        presetId: s.oldPreset,
      })),
      claimFrom: s.oldPreset,
    }),
    claimed: false,
  },
  {
    name: 'template deleted: no',
    template: { deleted: true },
    given: (s) => ready(s),
    claimed: false,
  },
  {
    name: 'older than the TTL: no (the reconciler replaces it)',
    preset: { ttlSecs: 3600 },
    given: (s) => ready(s, { createdAt: new Date(Date.now() - 2 * HOUR) }),
    claimed: false,
  },
  {
    name: 'younger than the TTL: claimed',
    preset: { ttlSecs: 3600 },
    given: (s) => ready(s, { createdAt: new Date(Date.now() - HOUR / 2) }),
    claimed: true,
  },
  {
    name: 'created before the preset was invalidated: no',
    preset: { lastInvalidatedAt: new Date(Date.now() - HOUR) },
    given: (s) => ready(s, { createdAt: new Date(Date.now() - 2 * HOUR) }),
    claimed: false,
  },
  {
    name: 'a reconciler delete is under way (deleting_at): no',
    given: async (s) => {
      const p = await ready(s);
      await db.pool.query(
        sql.unsafe`UPDATE workspaces SET deleting_at = now() WHERE id = ${p.workspaceId}`,
      );
      return p;
    },
    claimed: false,
  },
  {
    name: 'already owned by a user: no',
    given: async (s) => {
      const p = await ready(s);
      await db.pool.query(
        sql.unsafe`UPDATE workspaces SET owner_id = ${user} WHERE id = ${p.workspaceId}`,
      );
      return p;
    },
    claimed: false,
  },
  { name: 'deleted workspace: no', given: (s) => ready(s, { deleted: true }), claimed: false },
];

describe('ClaimPrebuiltWorkspace candidates', () => {
  it.each(cases)('$name', async ({ preset, template, given, claimed }) => {
    const s = await setup(preset, template);
    const { workspaceId, claimFrom } = await given(s);
    const result = await claim(claimFrom ?? s.presetId);
    expect(result?.id ?? null).toBe(claimed ? workspaceId : null);
  });

  it('takes the oldest ready prebuild first and never one of another preset', async () => {
    const s = await setup();
    const other = await setup();
    await ready(other, { createdAt: new Date(Date.now() - 5 * HOUR) });
    const young = await ready(s, { createdAt: new Date(Date.now() - HOUR) });
    const old = await ready(s, { createdAt: new Date(Date.now() - 2 * HOUR) });
    expect((await claim(s.presetId))?.id).toBe(old.workspaceId);
    expect((await claim(s.presetId))?.id).toBe(young.workspaceId);
    expect(await claim(s.presetId)).toBeNull();
  });

  it('hands the workspace over with the request and template settings', async () => {
    const s = await setup();
    const p = await ready(s);
    await db.pool.query(
      sql.unsafe`UPDATE workspaces SET dormant_at = now(), last_used_at = now() - interval '3 days' WHERE id = ${p.workspaceId}`,
    );
    const now = new Date('2031-05-05T10:00:00Z');
    const next = new Date('2031-05-06T07:00:00Z');
    const result = await claimPrebuiltWorkspace(db.pool, {
      presetId: s.presetId,
      ownerId: user,
      name: 'my-dev',
      autostartSchedule: 'CRON_TZ=UTC 0 7 * * 1-5',
      nextStartAt: next,
      ttlMs: 8 * HOUR,
      now,
    });
    expect(result).toMatchObject({
      id: p.workspaceId,
      name: 'my-dev',
      owner_id: user,
      template_id: s.templateId,
      autostart_schedule: 'CRON_TZ=UTC 0 7 * * 1-5',
      next_start_at: next,
      ttl: 8 * HOUR,
      last_used_at: now,
    });
    const row: unknown = await db.pool.one(
      sql.unsafe`SELECT dormant_at, deleting_at, updated_at FROM workspaces WHERE id = ${p.workspaceId}`,
    );
    expect(row).toEqual({ dormant_at: null, deleting_at: null, updated_at: now });
  });
});
