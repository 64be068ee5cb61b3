import { readFileSync } from 'node:fs';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseQuery, splitNamedQueries } from '../../src/db/sql-text.js';
import { useTestDatabase } from '../helpers/db.js';
import {
  createAgent,
  createBuild,
  createPrebuild,
  createPreset,
  createTemplate,
  createTemplateVersion,
  createUser,
} from '../helpers/fixtures.js';
import { findCoderSeed, SEED_DIR } from './seed-file.js';

/**
 * Coder's prebuilds.sql (the seed the project was created from) must run unchanged against our
 * schema. This suite is not part of `npm test` (a user's clone has no ../shared): it runs as
 * `npm run test:coder-compat`, which CI (.ci/run) runs after `npm test`.
 */
function seedFile(): string {
  const file = findCoderSeed();
  if (!file) {
    throw new Error(`Coder's prebuilds.sql seed not found in ${SEED_DIR}; set COMPAT_SEED_FILE`);
  }
  return file;
}

/** sqlc's `@name` and `sqlc.narg('name')` become bound parameters; nothing else changes. */
function loadSeedQueries(): Map<string, { text: string; params: readonly string[] }> {
  const source = readFileSync(seedFile(), 'utf8');
  const sql = source.slice(source.indexOf('-- name: ClaimPrebuiltWorkspace'));
  const queries = new Map<string, { text: string; params: readonly string[] }>();
  const marked = sql.replace(/^-- name: (\w+) :\w+$/gm, '-- name: $1');
  for (const { name, body } of splitNamedQueries(marked, 'seed')) {
    const bound = body.replace(/sqlc\.narg\('(\w+)'\)/g, ':$1').replace(/@(\w+)/g, ':$1');
    queries.set(name, parseQuery(name, bound));
  }
  return queries;
}

const db = useTestDatabase();
const queries = loadSeedQueries();
let client: pg.Client;

async function run(
  name: string,
  params: Record<string, unknown>,
): Promise<Record<string, unknown>[]> {
  const query = queries.get(name);
  if (!query) throw new Error(`seed query ${name} missing`);
  const result = await client.query(
    query.text,
    query.params.map((p) => params[p]),
  );
  return result.rows as Record<string, unknown>[];
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
type Key =
  | 'user'
  | 'template'
  | 'oldVersion'
  | 'version'
  | 'oldPreset'
  | 'preset'
  | 'noPrebuilds'
  | 'a'
  | 'b'
  | 'c'
  | 'd'
  | 'e'
  | 'f'
  | 'brokenTemplate'
  | 'brokenVersion'
  | 'brokenPreset';
const ids = {} as Record<Key, string>;

beforeAll(async () => {
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const p = db.pool;
  ids.user = await createUser(p, { username: 'alice' });
  ids.template = await createTemplate(p, { name: 'dev' });
  ids.oldVersion = await createTemplateVersion(p, { templateId: ids.template, name: 'v1' });
  ids.version = await createTemplateVersion(p, { templateId: ids.template, name: 'v2' });
  ids.oldPreset = await createPreset(p, {
    versionId: ids.oldVersion,
    name: 'small',
    desiredInstances: 1,
  });
  ids.preset = await createPreset(p, {
    versionId: ids.version,
    name: 'small',
    desiredInstances: 2,
  });
  ids.noPrebuilds = await createPreset(p, { versionId: ids.version, name: 'manual' });
  const base = { templateId: ids.template, versionId: ids.version, presetId: ids.preset };
  // A: ready; B: running but its agent is still starting; C: ready on the old version.
  ids.a = (await createPrebuild(p, { ...base, createdAt: minutesAgo(50) })).workspaceId;
  ids.b = (
    await createPrebuild(p, { ...base, ready: false, createdAt: minutesAgo(40) })
  ).workspaceId;
  ids.c = (
    await createPrebuild(p, {
      templateId: ids.template,
      versionId: ids.oldVersion,
      presetId: ids.oldPreset,
      createdAt: minutesAgo(45),
    })
  ).workspaceId;
  // D: its start build is still pending; E: its start build failed.
  ids.d = (
    await createPrebuild(p, { ...base, jobState: 'pending', createdAt: minutesAgo(5) })
  ).workspaceId;
  ids.e = (
    await createPrebuild(p, { ...base, jobState: 'failed', createdAt: minutesAgo(10) })
  ).workspaceId;
  // F: a prebuild claimed earlier: system build 1 with the preset, then alice's claim build.
  const f = await createPrebuild(p, { ...base, createdAt: minutesAgo(120) });
  ids.f = f.workspaceId;
  await client.query('UPDATE workspaces SET owner_id = $1, name = $2 WHERE id = $3', [
    ids.user,
    'alices-ws',
    ids.f,
  ]);
  const claim = await createBuild(p, {
    workspaceId: ids.f,
    versionId: ids.version,
    initiatorId: ids.user,
    createdAt: minutesAgo(100),
  });
  await createAgent(p, { workspaceId: ids.f, buildId: claim.buildId });

  // A second template whose preset failed twice in a row.
  ids.brokenTemplate = await createTemplate(p, { name: 'broken' });
  ids.brokenVersion = await createTemplateVersion(p, { templateId: ids.brokenTemplate });
  ids.brokenPreset = await createPreset(p, {
    versionId: ids.brokenVersion,
    name: 'gpu',
    desiredInstances: 1,
  });
  for (const age of [30, 20]) {
    await createPrebuild(p, {
      templateId: ids.brokenTemplate,
      versionId: ids.brokenVersion,
      presetId: ids.brokenPreset,
      jobState: 'failed',
      createdAt: minutesAgo(age),
    });
  }
});

afterAll(async () => {
  await client.end();
});

describe("Coder's prebuilds.sql runs unchanged", () => {
  it('has all seven queries', () => {
    expect([...queries.keys()].sort()).toEqual([
      'ClaimPrebuiltWorkspace',
      'CountInProgressPrebuilds',
      'GetPrebuildMetrics',
      'GetPresetsAtFailureLimit',
      'GetPresetsBackoff',
      'GetRunningPrebuiltWorkspaces',
      'GetTemplatePresetsWithPrebuilds',
    ]);
  });

  it('GetTemplatePresetsWithPrebuilds lists presets with prebuilds, on every version', async () => {
    const rows = await run('GetTemplatePresetsWithPrebuilds', { template_id: ids.template });
    const summary = rows
      .map((r) => [r.id, r.desired_instances, r.using_active_version, r.deleted, r.deprecated])
      .sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(summary).toEqual(
      [
        [ids.preset, 2, true, false, false],
        [ids.oldPreset, 1, false, false, false],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    const all = await run('GetTemplatePresetsWithPrebuilds', { template_id: null });
    expect(all.map((r) => r.id)).toContain(ids.brokenPreset);
  });

  it('GetRunningPrebuiltWorkspaces returns succeeded starts with readiness and preset', async () => {
    const rows = await run('GetRunningPrebuiltWorkspaces', {});
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual([ids.a, ids.b, ids.c].sort());
    expect(byId.get(ids.a)).toMatchObject({ ready: true, current_preset_id: ids.preset });
    expect(byId.get(ids.b)).toMatchObject({ ready: false, current_preset_id: ids.preset });
    expect(byId.get(ids.c)).toMatchObject({
      ready: true,
      current_preset_id: ids.oldPreset,
      template_version_id: ids.oldVersion,
    });
  });

  it('CountInProgressPrebuilds counts the pending start on the active version', async () => {
    const rows = await run('CountInProgressPrebuilds', {});
    expect(rows).toEqual([
      {
        template_id: ids.template,
        template_version_id: ids.version,
        transition: 'start',
        count: 1,
        preset_id: ids.preset,
      },
    ]);
  });

  it('GetPresetsBackoff reports the preset whose latest builds include a failure', async () => {
    const rows = await run('GetPresetsBackoff', { lookback: minutesAgo(60) });
    const row = rows.find((r) => r.preset_id === ids.preset);
    expect(row).toMatchObject({ template_version_id: ids.version, num_failed: 1 });
    const broken = rows.find((r) => r.preset_id === ids.brokenPreset);
    expect(broken).toMatchObject({ num_failed: 2 });
  });

  it('GetPresetsAtFailureLimit finds the preset whose last N builds all failed', async () => {
    expect(await run('GetPresetsAtFailureLimit', { hard_limit: 2 })).toEqual([
      { template_version_id: ids.brokenVersion, preset_id: ids.brokenPreset },
    ]);
    expect(await run('GetPresetsAtFailureLimit', { hard_limit: 3 })).toEqual([]);
  });

  it('GetPrebuildMetrics counts created, failed and claimed prebuilds', async () => {
    const rows = await run('GetPrebuildMetrics', {});
    expect(rows).toEqual([
      {
        template_name: 'broken',
        preset_name: 'gpu',
        organization_name: 'default',
        created_count: '2',
        failed_count: '2',
        claimed_count: '0',
      },
      {
        template_name: 'dev',
        preset_name: 'small',
        organization_name: 'default',
        // A, B, C (old version, same preset name), D, E, F.
        created_count: '6',
        failed_count: '1',
        claimed_count: '1',
      },
    ]);
  });

  it('ClaimPrebuiltWorkspace claims the one ready prebuild, then finds none', async () => {
    const params = { new_user_id: ids.user, new_name: 'claimed-1', preset_id: ids.preset };
    expect(await run('ClaimPrebuiltWorkspace', params)).toEqual([{ id: ids.a, name: 'claimed-1' }]);
    expect(await run('ClaimPrebuiltWorkspace', { ...params, new_name: 'claimed-2' })).toEqual([]);
    const owner = await client.query('SELECT owner_id FROM workspaces WHERE id = $1', [ids.a]);
    expect(owner.rows[0]).toEqual({ owner_id: ids.user });
  });

  it("ClaimPrebuiltWorkspace locks the prebuild's row: 32 racing claimers never share one", async () => {
    const preset = await createPreset(db.pool, {
      versionId: ids.version,
      name: 'race',
      desiredInstances: 20,
    });
    const prebuilds = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const created = await createPrebuild(db.pool, {
        templateId: ids.template,
        versionId: ids.version,
        presetId: preset,
      });
      prebuilds.add(created.workspaceId);
    }
    const claimers = await Promise.all(
      Array.from({ length: 32 }, async () => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        return c;
      }),
    );
    const claimed: string[] = [];
    try {
      await Promise.all(
        claimers.map(async (c, n) => {
          const query = queries.get('ClaimPrebuiltWorkspace')!;
          for (let attempt = 0; ; attempt++) {
            const values = {
              new_user_id: ids.user,
              new_name: `race-${n}-${attempt}`,
              preset_id: preset,
            };
            const result = await c.query<{ id: string }>(
              query.text,
              query.params.map((p) => values[p as keyof typeof values]),
            );
            if (result.rowCount === 0) return;
            claimed.push(result.rows[0]!.id);
          }
        }),
      );
    } finally {
      await Promise.all(claimers.map((c) => c.end()));
    }
    // Each prebuild was claimed exactly once: the view locks the base workspaces row.
    expect(claimed).toHaveLength(20);
    expect(new Set(claimed)).toEqual(prebuilds);
  });
});
