import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { systemClock } from '../../src/util/clock.js';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
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
let daemon: TestDaemon;
let template: string;
let presetId: string;
let owner: string;

const cli = (...args: string[]) => runCli(args, { DATABASE_URL: db.url });

beforeAll(async () => {
  daemon = await echoDaemon(db, systemClock);
  template = uniqueName('cli');
  const pushed = await push(db, templateYaml(template, [{ name: 'warm', instances: 2 }]));
  presetId = pushed.presets.warm as string;
  owner = uniqueName('alice');
  await createUser(db.pool, { username: owner });
});
afterAll(async () => {
  await daemon.stop();
});

describe('prebuilds status and plan', () => {
  it('plan says what the next pass would do, writing nothing; status shows the pool', async () => {
    const plan = await cli('prebuilds', 'plan');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`default/${template}/warm (v1):`);
    expect(plan.stdout).toContain('create 2: desired 2, valid 0, starting 0');
    const json = JSON.parse((await cli('prebuilds', 'plan', '--json')).stdout);
    expect(json.presets.find((p: { id: string }) => p.id === presetId)).toMatchObject({
      actions: [{ type: 'create', count: 2 }],
    });
    // Planning wrote nothing: the pool is still empty.
    expect(await readyPrebuilds(db.pool, presetId)).toEqual([]);

    await reconcilerFor(db, systemClock).reconcileOnce();
    await waitForIdle(db.pool);
    const status = await cli('prebuilds', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^TEMPLATE +PRESET +VERSION +DESIRED +SOURCE +RUNNING +READY/);
    expect(status.stdout).toMatch(
      new RegExp(`${template} +warm +v1 +2 +scheduled +2 +2 +0 +0 +0 +0 +healthy`),
    );
    const statusJson = JSON.parse((await cli('prebuilds', 'status', '--json')).stdout);
    expect(statusJson.presets.find((p: { id: string }) => p.id === presetId)).toMatchObject({
      desired: 2,
      running: 2,
      ready: 2,
      status: 'healthy',
      schedule: { current: null, next_change_at: null },
    });
    expect((await cli('prebuilds', 'plan')).stdout).toContain('nothing to do');
  });

  it('pause and resume', async () => {
    const paused = await cli('prebuilds', 'pause');
    expect(paused).toMatchObject({ code: 0, stdout: 'prebuild reconciliation paused\n' });
    expect((await cli('prebuilds', 'status')).stdout).toContain('reconciliation is PAUSED');
    expect(JSON.parse((await cli('prebuilds', 'resume', '--json')).stdout)).toEqual({
      paused: false,
    });
    expect((await cli('prebuilds', 'status')).stdout).not.toContain('PAUSED');
  });

  it('invalidate and reset by template/preset; unknown and ambiguous presets are one-line errors', async () => {
    const invalidated = await cli('prebuilds', 'invalidate', `${template}/warm`);
    expect(invalidated.code).toBe(0);
    expect(invalidated.stdout).toContain(`preset default/${template}/warm (v1) invalidated`);
    const plan = JSON.parse((await cli('prebuilds', 'plan', '--json')).stdout);
    expect(plan.presets.find((p: { id: string }) => p.id === presetId).actions).toMatchObject([
      { type: 'delete', count: 2 },
      { type: 'create', count: 2 },
    ]);
    const reset = await cli('prebuilds', 'reset', presetId, '--json');
    expect(JSON.parse(reset.stdout).preset).toMatchObject({ id: presetId, status: 'healthy' });

    const unknown = await cli('prebuilds', 'reset', `${template}/cold`);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain(`no preset "${template}/cold"`);
    await push(db, templateYaml(uniqueName('other'), [{ name: 'warm', instances: 0 }]));
    const ambiguous = await cli('prebuilds', 'invalidate', 'warm');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('preset "warm" is ambiguous');
  });
});

describe('workspaces create and claim', () => {
  it('claims a ready prebuild, then builds when none is ready', async () => {
    await reconcilerFor(db, systemClock).reconcileOnce();
    await waitForIdle(db.pool);
    await reconcilerFor(db, systemClock).reconcileOnce();
    await waitForIdle(db.pool);
    expect(await readyPrebuilds(db.pool, presetId)).toHaveLength(2);

    const first = await cli(
      'workspaces',
      'create',
      '--owner',
      owner,
      '--template',
      template,
      '--preset',
      'warm',
      '--ttl',
      '2h',
      'one',
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^claimed a ready prebuild of preset warm: workspace .+\/one/);
    const second = await cli('claim', '--preset', `${template}/warm`, '--user', owner, '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({
      claimed: true,
      workspace: { owner, preset_name: 'warm', name: expect.stringMatching(/^warm-/) },
      build: { reason: 'claim' },
    });
    const third = await cli(
      'workspaces',
      'create',
      '--owner',
      owner,
      '--template',
      template,
      '--param',
      'slot=1',
      'three',
    );
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/^no ready prebuild of preset warm; created workspace .+\/three/);
  });

  it('bad input: one line, exit 1 for what the API rejects, 2 for malformed flags', async () => {
    const cases: [string[], number, string][] = [
      [
        ['workspaces', 'create', '--owner', 'ghost', '--template', template, 'x'],
        1,
        'owner: no user',
      ],
      [
        ['workspaces', 'create', '--owner', owner, '--template', template, 'one'],
        1,
        'already has a workspace named "one"',
      ],
      [
        ['workspaces', 'create', '--owner', owner, '--template', template, '--ttl', 'soon', 'x'],
        2,
        '--ttl "soon"',
      ],
      [
        ['workspaces', 'create', '--owner', owner, '--template', template, '--param', 'x', 'x'],
        2,
        'must be name=value',
      ],
      [
        [
          'workspaces',
          'create',
          '--owner',
          owner,
          '--template',
          template,
          '--autostart',
          'daily',
          'x',
        ],
        1,
        'autostart_schedule',
      ],
      [
        ['workspaces', 'create', '--template', template, 'x'],
        2,
        "required option '--owner <user>'",
      ],
      [['claim', '--preset', 'warm', '--user', owner], 1, 'in several templates'],
      [['claim', '--preset', 'nope', '--user', owner], 1, 'no preset "nope"'],
    ];
    for (const [args, code, message] of cases) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(result.stderr).toContain(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 60_000);
});
