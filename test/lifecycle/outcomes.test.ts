import { sql } from 'slonik';
import { describe, expect, it } from 'vitest';

import { JobReaper } from '../../src/jobs/reaper.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createPreset, createPrebuild } from '../helpers/fixtures.js';
import { at, messagesAbout, plus } from './harness.js';
import { lifecycleWorkspace } from './setup.js';

const db = useTestDatabase();
const STARTED = at('2025-06-04T12:00:00Z');

describe('notifications about finished automatic builds', () => {
  it('reports an automatic build the reaper failed, not a reaped manual build or prebuild', async () => {
    const auto = await lifecycleWorkspace(db.pool, {
      workspace: { name: 'auto' },
      build: { jobState: 'running', reason: 'autostart', createdAt: STARTED },
    });
    const manual = await lifecycleWorkspace(db.pool, {
      build: { jobState: 'running', createdAt: STARTED },
    });
    const presetId = await createPreset(db.pool, { versionId: manual.versionId });
    const prebuild = await createPrebuild(db.pool, {
      templateId: manual.templateId,
      versionId: manual.versionId,
      presetId,
      jobState: 'running',
      createdAt: STARTED,
    });
    await db.pool.query(sql.unsafe`
      UPDATE workspace_builds SET reason = 'autostop' WHERE workspace_id = ${prebuild.workspaceId}`);
    const clock = new FakeClock(plus(STARTED, 10 * 60_000));
    const reaper = new JobReaper({
      db: db.pool,
      clock,
      logger: silentLogger(),
      timeoutMs: 60_000,
    });
    const reaped = await reaper.reapOnce();
    expect(reaped).toEqual(expect.arrayContaining([auto.jobId, manual.jobId, prebuild.jobId]));
    expect(await messagesAbout(db.pool, auto.workspaceId)).toEqual([
      {
        template: 'workspace_autobuild_failed',
        user_id: auto.ownerId,
        payload: {
          workspace_id: auto.workspaceId,
          workspace: 'auto',
          reason: 'autostart',
          transition: 'start',
          build_number: 1,
          error: expect.stringContaining('provisioner daemon stopped heartbeating'),
        },
      },
    ]);
    expect(await messagesAbout(db.pool, manual.workspaceId)).toEqual([]);
    expect(await messagesAbout(db.pool, prebuild.workspaceId)).toEqual([]);
  });
});
