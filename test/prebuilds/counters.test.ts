import { sql } from 'slonik';
import { expect, it } from 'vitest';

import { loadPrebuildCounters } from '../../src/prebuilds/counters.js';
import { useTestDatabase } from '../helpers/db.js';
import {
  createBuild,
  createOrg,
  createPreset,
  createPrebuild,
  createTemplate,
  createTemplateVersion,
  createUser,
  createWorkspace,
} from '../helpers/fixtures.js';

const db = useTestDatabase();

it('counts created, failed and claimed prebuilds per template, preset and organization name', async () => {
  const pool = db.pool;
  const user = await createUser(pool);
  const claim = (workspaceId: string, deleted = false) =>
    pool.query(
      sql.unsafe`UPDATE workspaces SET owner_id = ${user}, deleted = ${deleted} WHERE id = ${workspaceId}`,
    );

  // dev/p on two versions (one series), dev/q, and the same names in another organization.
  const dev = await createTemplate(pool, { name: 'dev' });
  const v1 = await createTemplateVersion(pool, { templateId: dev });
  const p1 = await createPreset(pool, { versionId: v1, name: 'p', desiredInstances: 3 });
  const v2 = await createTemplateVersion(pool, { templateId: dev });
  const p2 = await createPreset(pool, { versionId: v2, name: 'p', desiredInstances: 3 });
  const q2 = await createPreset(pool, { versionId: v2, name: 'q', desiredInstances: 1 });
  const on = (versionId: string, presetId: string, extra = {}) =>
    createPrebuild(pool, { templateId: dev, versionId, presetId, ...extra });

  await on(v1, p1, { jobState: 'failed' }); // failed
  await claim((await on(v1, p1)).workspaceId); // claimed
  await claim((await on(v1, p1)).workspaceId, true); // claimed, then deleted by its owner
  await on(v2, p2); // still a prebuild
  await on(v2, p2, { deleted: true }); // deleted by the reconciler: created, not claimed
  const claimed = await on(v2, p2);
  await claim(claimed.workspaceId);
  // The claim build (build 2, by the user) is not a creation.
  await createBuild(pool, {
    workspaceId: claimed.workspaceId,
    versionId: v2,
    initiatorId: user,
    presetId: p2,
  });
  await on(v2, q2, { jobState: 'running' });
  // A user's own workspace with a preset is no prebuild.
  const own = await createWorkspace(pool, { ownerId: user, templateId: dev });
  await createBuild(pool, { workspaceId: own, versionId: v2, initiatorId: user, presetId: p2 });

  const org = await createOrg(pool, 'acme');
  const acmeDev = await createTemplate(pool, { name: 'dev', organizationId: org });
  const acmeV = await createTemplateVersion(pool, { templateId: acmeDev });
  const acmeP = await createPreset(pool, { versionId: acmeV, name: 'p', desiredInstances: 1 });
  await createPrebuild(pool, { templateId: acmeDev, versionId: acmeV, presetId: acmeP });

  // A deleted template is left out.
  const gone = await createTemplate(pool, { name: 'gone', deleted: true });
  const goneV = await createTemplateVersion(pool, { templateId: gone });
  const goneP = await createPreset(pool, { versionId: goneV, name: 'p', desiredInstances: 1 });
  await createPrebuild(pool, { templateId: gone, versionId: goneV, presetId: goneP });

  expect(await loadPrebuildCounters(pool)).toEqual([
    {
      templateName: 'dev',
      presetName: 'p',
      organizationName: 'acme',
      created: 1,
      failed: 0,
      claimed: 0,
    },
    {
      templateName: 'dev',
      presetName: 'p',
      organizationName: 'default',
      created: 6,
      failed: 1,
      claimed: 3,
    },
    {
      templateName: 'dev',
      presetName: 'q',
      organizationName: 'default',
      created: 1,
      failed: 0,
      claimed: 0,
    },
  ]);
});
