import pg from 'pg';
import { type DatabasePool, sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDbPool } from '../../src/db/pool.js';
import { sqlQuery } from '../../src/db/sql-files.js';
import { withTransaction } from '../../src/db/tx.js';
import { silentLogger } from '../../src/log/logger.js';
import { claimPrebuiltWorkspace, lockPrebuildForDelete } from '../../src/prebuilds/claim.js';
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
let wide: DatabasePool;
const users: string[] = [];

beforeAll(async () => {
  // One connection per claimer: 32 sessions must really run at once.
  wide = await createDbPool(db.url, { logger: silentLogger(), maximumPoolSize: 40 });
  for (let i = 0; i < 32; i++) users.push(await createUser(db.pool));
});
afterAll(async () => {
  await wide.end();
});

async function poolOf(count: number) {
  const templateId = await createTemplate(db.pool);
  const versionId = await createTemplateVersion(db.pool, { templateId });
  const presetId = await createPreset(db.pool, { versionId, desiredInstances: count });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await createPrebuild(db.pool, { templateId, versionId, presetId })).workspaceId);
  }
  return { templateId, versionId, presetId, ids };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One claim in its own transaction, held open a little so the others must skip its row. */
async function claimOnce(presetId: string, owner: string, holdMs: number) {
  return withTransaction(wide, {}, async (tx) => {
    const claimed = await claimPrebuiltWorkspace(tx, {
      presetId,
      ownerId: owner,
      name: `ws-${owner.slice(0, 8)}-${Math.random().toString(36).slice(2, 8)}`,
      autostartSchedule: null,
      nextStartAt: null,
      ttlMs: null,
      now: new Date(),
    });
    await tx.query(sql.unsafe`SELECT pg_sleep(${holdMs / 1000})`);
    return claimed?.id ?? null;
  });
}

describe('concurrent claims', () => {
  it('32 sessions against 10 ready prebuilds: exactly 10 claimed, none twice', async () => {
    const { ids } = await poolOf(10);
    const presetId = (await db.pool.oneFirst(
      sql.unsafe`SELECT template_version_preset_id FROM workspace_builds WHERE workspace_id = ${ids[0] as string}`,
    )) as string;
    const results = await Promise.all(users.map((owner) => claimOnce(presetId, owner, 50)));
    const won = results.filter((id): id is string => id !== null);
    expect(won).toHaveLength(10);
    expect(new Set(won).size).toBe(10);
    expect(new Set(won)).toEqual(new Set(ids));
    expect(results.filter((id) => id === null)).toHaveLength(22);
    // Each workspace ended with the owner whose claim returned it.
    const owners = await db.pool.any(
      sql.unsafe`SELECT id, owner_id FROM workspaces WHERE id = ANY(${sql.array(ids, 'uuid')})`,
    );
    for (const row of owners as readonly { id: string; owner_id: string }[]) {
      expect(row.owner_id).toBe(users[results.indexOf(row.id)]);
    }
  });

  it('32 sessions claiming until none is left: 200 claims for 200 prebuilds, none overwritten', async () => {
    const { presetId, ids } = await poolOf(200);
    const claimedBy = new Map<string, string[]>();
    await Promise.all(
      users.map(async (owner) => {
        for (;;) {
          const id = await claimOnce(presetId, owner, 0);
          if (id === null) return;
          claimedBy.set(id, [...(claimedBy.get(id) ?? []), owner]);
        }
      }),
    );
    expect(claimedBy.size).toBe(200);
    expect([...claimedBy.keys()].sort()).toEqual([...ids].sort());
    for (const owners of claimedBy.values()) expect(owners).toHaveLength(1);
  }, 60_000);
});

/** The reconciler's delete: re-check ownership and reserve the row, then insert the delete build. */
async function deleteOnce(workspaceId: string, versionId: string, delayMs: number) {
  return withTransaction(wide, {}, async (tx) => {
    await sleep(delayMs);
    if (!(await lockPrebuildForDelete(tx, workspaceId, new Date()))) return false;
    await createBuild(tx, {
      workspaceId,
      versionId,
      initiatorId: SYSTEM_USER_ID,
      transition: 'delete',
      jobState: 'pending',
    });
    return true;
  });
}

describe('a claim racing a reconciler delete', () => {
  it('exactly one wins, whoever comes first (40 races with jittered starts)', async () => {
    const { presetId, versionId, ids } = await poolOf(40);
    let claims = 0;
    let deletes = 0;
    for (const [i, workspaceId] of ids.entries()) {
      const owner = users[i % users.length] as string;
      const [claimed, deleted] = await Promise.all([
        (async () => {
          await sleep(Math.random() * 4);
          return claimOnce(presetId, owner, Math.random() * 4);
        })(),
        deleteOnce(workspaceId, versionId, Math.random() * 4),
      ]);
      // The claim may take another prebuild of the pool; what matters is this workspace.
      const claimedThis = claimed === workspaceId;
      expect(Number(claimedThis) + Number(deleted)).toBeLessThanOrEqual(1);
      const row = (await db.pool.one(
        sql.unsafe`SELECT owner_id, deleting_at FROM workspaces WHERE id = ${workspaceId}`,
      )) as { owner_id: string; deleting_at: Date | null };
      if (deleted) {
        expect(row.owner_id).toBe(SYSTEM_USER_ID);
        expect(row.deleting_at).not.toBeNull();
        deletes += 1;
      }
      if (claimedThis) {
        expect(row.owner_id).toBe(owner);
        claims += 1;
      }
      if (claimed !== null && !claimedThis) {
        // It took another prebuild, which nothing deleted in this round.
        expect(ids.indexOf(claimed)).toBeGreaterThan(i);
      }
    }
    expect(claims + deletes).toBeGreaterThan(0);
  }, 60_000);

  it('a claim holding the row makes the delete back off', async () => {
    const { presetId, versionId, ids } = await poolOf(1);
    const workspaceId = ids[0] as string;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let claimedSignal = () => {};
    const claimedNow = new Promise<void>((resolve) => (claimedSignal = resolve));
    const claim = withTransaction(wide, {}, async (tx) => {
      const claimed = await claimPrebuiltWorkspace(tx, {
        presetId,
        ownerId: users[0] as string,
        name: 'held-claim',
        autostartSchedule: null,
        nextStartAt: null,
        ttlMs: null,
        now: new Date(),
      });
      claimedSignal();
      await held;
      return claimed?.id;
    });
    await claimedNow;
    expect(await deleteOnce(workspaceId, versionId, 0)).toBe(false);
    release();
    expect(await claim).toBe(workspaceId);
    // After the claim committed, the delete still must not proceed.
    expect(await deleteOnce(workspaceId, versionId, 0)).toBe(false);
  });

  it('a delete holding the row makes the claim find nothing', async () => {
    const { presetId, versionId, ids } = await poolOf(1);
    const workspaceId = ids[0] as string;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let lockedSignal = () => {};
    const lockedNow = new Promise<void>((resolve) => (lockedSignal = resolve));
    const del = withTransaction(wide, {}, async (tx) => {
      const locked = await lockPrebuildForDelete(tx, workspaceId, new Date());
      lockedSignal();
      await held;
      await createBuild(tx, {
        workspaceId,
        versionId,
        initiatorId: SYSTEM_USER_ID,
        transition: 'delete',
        jobState: 'pending',
      });
      return locked;
    });
    await lockedNow;
    expect(await claimOnce(presetId, users[1] as string, 0)).toBeNull();
    release();
    expect(await del).toBe(true);
    expect(await claimOnce(presetId, users[1] as string, 0)).toBeNull();
  });

  it('a claim whose snapshot predates a committed delete does not take the row', async () => {
    // REPEATABLE READ pins the claim's snapshot before the delete commits, the widest version of
    // the window a READ COMMITTED claim has between its snapshot and its row lock. Because the
    // delete stamps the row (deleting_at), the claim cannot lock it: PostgreSQL reports a
    // serialization failure here (READ COMMITTED would re-check the row and skip it), and a
    // retry finds nothing. A delete that only locked the row without changing it would let this
    // stale claim succeed: both would win.
    const { presetId, versionId, ids } = await poolOf(1);
    const workspaceId = ids[0] as string;
    // A plain client: slonik would retry the failed statement outside its own transactions.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await client.query('SELECT count(*) FROM workspaces');
      expect(await deleteOnce(workspaceId, versionId, 0)).toBe(true);
      const claimSql = sqlQuery('ClaimPrebuiltWorkspace');
      const values: Record<string, unknown> = {
        preset_id: presetId,
        new_owner_id: users[2],
        new_name: 'stale-claim',
        autostart_schedule: null,
        next_start_at: null,
        ttl_ms: null,
        now: new Date(),
      };
      await expect(
        client.query(
          claimSql.text,
          claimSql.params.map((name) => values[name]),
        ),
      ).rejects.toThrow(/could not serialize access due to concurrent update/);
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
    expect(await claimOnce(presetId, users[2] as string, 0)).toBeNull();
    const row = (await db.pool.one(
      sql.unsafe`SELECT owner_id FROM workspaces WHERE id = ${workspaceId}`,
    )) as {
      owner_id: string;
    };
    expect(row.owner_id).toBe(SYSTEM_USER_ID);
  });
});
