import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { createWorkspace } from '../../src/prebuilds/create-workspace.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser, SYSTEM_USER_ID } from '../helpers/fixtures.js';
import type { TestDaemon } from '../jobs/helpers.js';
import {
  echoDaemon,
  push,
  readyPrebuilds,
  reconcilerFor,
  templateYaml,
  uniqueName,
  waitForIdle,
} from './harness.js';

const db = useTestDatabase();
const clock = new FakeClock(new Date());
let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await echoDaemon(db, clock);
});
afterAll(async () => {
  await daemon.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const Fate = z.object({ owner_id: z.string(), deletes: z.number(), claims: z.number() });
const fateOf = (id: string) =>
  db.pool.one(sql.type(Fate)`
    SELECT w.owner_id,
      (SELECT count(*)::int FROM workspace_builds WHERE workspace_id = w.id AND transition = 'delete') AS deletes,
      (SELECT count(*)::int FROM workspace_builds WHERE workspace_id = w.id AND reason = 'claim') AS claims
    FROM workspaces w WHERE w.id = ${id}`);

describe('a claim racing the reconciler deleting the same prebuild', () => {
  it('exactly one wins each time, and the user always gets a workspace', async () => {
    const name = uniqueName('race');
    const { presets } = await push(db, templateYaml(name, [{ name: 'p', instances: 1 }]));
    const preset = presets.p as string;
    const reconciler = reconcilerFor(db, clock);
    const owner = await createUser(db.pool);
    const setDesired = (n: number) =>
      db.pool.query(
        sql.unsafe`UPDATE template_version_presets SET desired_instances = ${n} WHERE id = ${preset}`,
      );
    let claimsWon = 0;
    let deletesWon = 0;
    for (let round = 0; round < 16; round++) {
      await setDesired(1);
      await reconciler.reconcileOnce();
      await waitForIdle(db.pool);
      const [prebuild] = await readyPrebuilds(db.pool, preset);
      expect(prebuild).toBeDefined();
      // The pool now wants none: the next pass deletes the prebuild a claim is also after.
      await setDesired(0);
      const [claim, pass] = await Promise.all([
        (async () => {
          // The pass reads a snapshot before it deletes: start the claim later, by a varying
          // amount, so that either side wins some rounds.
          await sleep(Math.random() * 30);
          return createWorkspace(
            db.pool,
            { owner, template: name, preset: 'p', name: `race-${round}` },
            clock.now(),
          );
        })(),
        (async () => {
          await sleep(Math.random() * 6);
          return reconciler.reconcileOnce();
        })(),
      ]);
      const fate = await fateOf(prebuild!.id);
      const claimedIt = claim.claimed && claim.workspace.id === prebuild!.id;
      const deletedIt = pass.deleted === 1;
      expect(Number(claimedIt) + Number(deletedIt)).toBe(1);
      if (claimedIt) {
        claimsWon += 1;
        expect(fate).toEqual({ owner_id: owner, deletes: 0, claims: 1 });
      } else {
        deletesWon += 1;
        expect(fate).toEqual({ owner_id: SYSTEM_USER_ID, deletes: 1, claims: 0 });
        // Nothing lost: the user got a new workspace of the preset instead.
        expect(claim).toMatchObject({ claimed: false });
        expect(claim.enqueued.build.template_version_preset_id).toBe(preset);
      }
      await waitForIdle(db.pool);
    }
    expect(claimsWon + deletesWon).toBe(16);
  }, 60_000);
});
