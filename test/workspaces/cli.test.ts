import { sql } from 'slonik';
import { describe, expect, it } from 'vitest';

import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import { buildsOf, HOUR, MIN } from '../lifecycle/harness.js';
import { lifecycleWorkspace } from '../lifecycle/setup.js';

const db = useTestDatabase();
const env = () => ({ DATABASE_URL: db.url });
const cli = (...args: string[]) => runCli(['workspaces', ...args], env());

/** A running workspace of `bob-cli`, started an hour ago, stopping in 3 hours (real clock). */
async function running(name: string) {
  const started = new Date(Date.now() - HOUR);
  const ownerId = await createUser(db.pool, { username: `bob-${name}` });
  return lifecycleWorkspace(db.pool, {
    ownerId,
    template: { name: `tpl-${name}` },
    workspace: { name, lastUsedAt: started },
    build: {
      createdAt: started,
      deadline: new Date(Date.now() + 3 * HOUR),
      maxDeadline: new Date(Date.now() + 10 * HOUR),
    },
  });
}

describe('prebuild-controller workspaces', () => {
  it('lists and shows workspaces, as a table or JSON, by id or owner/name', async () => {
    const f = await running('listed');
    const table = await cli('list', '--owner', 'bob-listed');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^WORKSPACE\s+TEMPLATE\s+STATE\s+DEADLINE\s+AUTOSTART\s+TTL\s+ID\n/,
    );
    expect(table.stdout).toMatch(
      new RegExp(
        `bob-listed/listed\\s+tpl-listed\\s+running\\s+\\S+\\s+-\\s+-\\s+${f.workspaceId}`,
      ),
    );
    const json = JSON.parse((await cli('list', '--template', 'tpl-listed', '--json')).stdout);
    expect(json.workspaces.map((w: { id: string }) => w.id)).toEqual([f.workspaceId]);
    await db.pool.query(sql.unsafe`
      INSERT INTO workspaces (owner_id, organization_id, template_id, name)
      SELECT owner_id, organization_id, template_id, 'listed-2' FROM workspaces
      WHERE id = ${f.workspaceId}`);
    const limited = JSON.parse(
      (await cli('list', '--owner', 'bob-listed', '--limit', '1', '--json')).stdout,
    );
    expect(limited.workspaces.map((w: { name: string }) => w.name)).toEqual(['listed']);
    const both = JSON.parse((await cli('list', '--owner', 'bob-listed', '--json')).stdout);
    expect(both.workspaces.map((w: { name: string }) => w.name)).toEqual(['listed', 'listed-2']);
    for (const bad of ['0', '-3', '1.5', 'many']) {
      const usage = await cli('list', '--limit', bad);
      expect(usage.code, bad).toBe(2);
      expect(usage.stderr, bad).toContain("option '--limit <n>' argument");
    }
    const shown = await cli('show', 'bob-listed/listed');
    expect(shown.stdout).toContain(`workspace bob-listed/listed (${f.workspaceId})`);
    expect(shown.stdout).toContain('latest build:  #1 start (initiator), succeeded');
    expect(JSON.parse((await cli('show', f.workspaceId, '--json')).stdout)).toMatchObject({
      id: f.workspaceId,
      latest_build: { build_number: 1 },
    });
    const missing = await cli('show', 'nobody/nothing');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'prebuild-controller: workspace "nobody/nothing" not found (use its id, or owner/name)\n',
    );
  });

  it('queues manual builds and refuses a second one while the first is pending', async () => {
    const f = await running('builds');
    const stop = await cli('stop', 'bob-builds/builds');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^build #2 \(stop\) queued: job [0-9a-f-]{36}\n$/);
    const start = await cli('start', f.workspaceId, '--json');
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(/already has a pending build/);
    expect((await buildsOf(db.pool, f.workspaceId)).map((b) => b.transition)).toEqual([
      'start',
      'stop',
    ]);
    const other = await running('gone');
    await cli('stop', other.workspaceId);
    await db.pool.query(sql.unsafe`
      UPDATE provisioner_jobs SET started_at = now(), completed_at = now()
      WHERE id = (SELECT job_id FROM workspace_builds WHERE workspace_id = ${other.workspaceId}
                  ORDER BY build_number DESC LIMIT 1)`);
    const deleted = JSON.parse((await cli('delete', 'bob-gone/gone', '--json')).stdout);
    expect(deleted).toMatchObject({ transition: 'delete', build_number: 3 });
  });

  it('sets autostart, TTL, a new deadline, dormancy and activity', async () => {
    const f = await running('sched');
    const ref = 'bob-sched/sched';
    const autostart = await cli('autostart', ref, 'CRON_TZ=Europe/Berlin 30 8 * * 1-5', '--json');
    expect(autostart.code).toBe(0);
    expect(JSON.parse(autostart.stdout)).toMatchObject({
      autostart_schedule: 'CRON_TZ=Europe/Berlin 30 8 * * 1-5',
      next_start_at: expect.stringMatching(/T0[67]:30:00.000Z$/),
    });
    expect((await cli('autostart', ref, 'off', '--json')).stdout).toContain(
      '"autostart_schedule":null',
    );
    const ttl = await cli('ttl', ref, '8h');
    expect(ttl.stdout).toContain('  ttl:           8h\n');
    const extended = JSON.parse((await cli('extend', ref, '5h', '--json')).stdout);
    const deadline = new Date(extended.latest_build.deadline).getTime();
    expect(Math.abs(deadline - (Date.now() + 5 * HOUR))).toBeLessThan(5 * MIN);
    const activity = await cli('activity', ref);
    expect(activity.stdout).toMatch(/^activity recorded; deadline \S+\n$/);
    const dormant = await cli('dormant', ref, 'on', '--json');
    expect(JSON.parse(dormant.stdout)).toMatchObject({
      dormant_at: expect.any(String),
      latest_build: { transition: 'stop', reason: 'dormancy' },
    });
    expect((await cli('show', ref)).stdout).toContain('stopping, dormant');
    expect(JSON.parse((await cli('dormant', f.workspaceId, 'off', '--json')).stdout)).toMatchObject(
      { dormant_at: null },
    );
  });

  it('rejects bad input with the field and reason', async () => {
    await running('bad');
    const ref = 'bob-bad/bad';
    const schedule = await cli('autostart', ref, '0 9 1 * *');
    expect(schedule.code).toBe(1);
    expect(schedule.stderr).toBe(
      'prebuild-controller: invalid schedule (schedule: schedule "0 9 1 * *": day-of-month: must be "*" (got "1"))\n',
    );
    const ttl = await cli('ttl', ref, 'forever');
    expect(ttl.code).toBe(2);
    expect(ttl.stderr).toContain('ttl: "forever" is not a duration');
    const short = await cli('ttl', ref, '30s');
    expect(short.stderr).toContain('ttl_ms: must be at least 1 minute (60000)');
    const soon = await cli('extend', ref, '10m');
    expect(soon.stderr).toContain('deadline: must be at least 30 minutes in the future');
    const nonsense = await cli('extend', ref, 'next week');
    expect(nonsense.stderr).toContain('deadline: must be an ISO 8601 timestamp');
    const dormant = await cli('dormant', ref, 'maybe');
    expect(dormant.code).toBe(2);
    expect(dormant.stderr).toContain('dormant: "maybe" must be on or off');
    const unknown = await cli('activity', 'nobody/nothing');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('workspace "nobody/nothing" not found');
    const usage = await cli('stop');
    expect(usage.code).toBe(2);
  });
});
