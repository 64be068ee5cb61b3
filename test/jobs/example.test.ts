import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { sql } from 'slonik';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import { ExecProvisioner } from '../../src/provisioners/exec.js';
import { useTestDatabase } from '../helpers/db.js';
import { createTarget, enqueue, startTestDaemon, type TestDaemon, waitForJob } from './helpers.js';

const db = useTestDatabase();
const script = fileURLToPath(new URL('../../examples/exec-local-process.sh', import.meta.url));
const workspaces = mkdtempSync(join(tmpdir(), 'example-workspaces-'));
afterAll(() => rmSync(workspaces, { recursive: true, force: true }));
const daemons: TestDaemon[] = [];
afterEach(async () => {
  while (daemons.length > 0) await daemons.pop()?.stop();
});

const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('examples/exec-local-process.sh', () => {
  it('starts, stops and deletes a local process per workspace', async () => {
    const tags = { example: randomUUID().slice(0, 8) };
    const exec = new ExecProvisioner({
      command: script,
      timeoutMs: 30_000,
      baseEnv: { ...process.env, WORKSPACES_DIR: workspaces },
      envAllow: ['WORKSPACES_DIR'],
    });
    daemons.push(
      await startTestDaemon({
        db: db.pool,
        url: db.url,
        tags,
        provisioners: ['exec'],
        provisionerFor: () => exec,
      }),
    );
    const target = await createTarget(db.pool, { tags, provisioner: 'exec' });
    const dir = join(workspaces, target.workspaceId);

    const start = await enqueue(db.pool, target);
    expect(await waitForJob(db.pool, start.job.id)).toMatchObject({ job_status: 'succeeded' });
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    expect(running(pid)).toBe(true);
    const State = z.object({ lifecycle_state: z.string() });
    expect(
      await db.pool.oneFirst(
        sql.type(
          State,
        )`SELECT lifecycle_state::text FROM workspace_agents WHERE workspace_build_id = ${start.build.id}`,
      ),
    ).toBe('ready');
    expect(JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8'))).toMatchObject({
      workspace_id: target.workspaceId,
      transition: 'start',
    });

    const stop = await enqueue(db.pool, target, { transition: 'stop' });
    expect(await waitForJob(db.pool, stop.job.id)).toMatchObject({ job_status: 'succeeded' });
    await vi.waitFor(() => expect(running(pid)).toBe(false));

    const del = await enqueue(db.pool, target, { transition: 'delete' });
    expect(await waitForJob(db.pool, del.job.id)).toMatchObject({ job_status: 'succeeded' });
    expect(existsSync(dir)).toBe(false);
  });
});
