import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { recordClaimAttempt } from '../../src/autoscaling/claim-history.js';
import { activePolicy, recordedDemand } from '../../src/autoscaling/simulate/database.js';
import { runSimulations } from '../../src/autoscaling/simulate/run.js';
import { SourceError } from '../../src/autoscaling/simulate/sources.js';
import { DEFAULT_AUTOSCALING_SETTINGS } from '../../src/domain/autoscaling/index.js';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { createPrebuild } from '../helpers/fixtures.js';
import { push, templateYaml, uniqueName } from '../prebuilds/harness.js';

/**
 * `prebuilds simulate --template T --preset P`: demand from the recorded claim attempts, the
 * policy from the preset's active version (or --config), the measured lead time by default.
 */
const db = useTestDatabase();
const dir = mkdtempSync(join(tmpdir(), 'pc-simulate-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIN = 60_000;
const DAY_START = Date.parse('2026-11-23T00:00:00Z');
let template: string;
let templateId: string;
let presetId: string;

beforeAll(async () => {
  template = uniqueName('sim');
  const yaml = templateYaml(template, [{ name: 'pool', instances: 1 }, { name: 'plain' }]).replace(
    '      instances: 1\n',
    "      instances: 1\n      autoscaling:\n        expression: 'max(scheduled_target, misses_10m * 2)'\n",
  );
  const pushed = await push(db, yaml);
  templateId = pushed.templateId;
  presetId = pushed.presets.pool as string;
  // A busy hour on 2026-11-23: 30 attempts, every 2 minutes from 09:00; one the day before
  // (history only when --from is the 23rd).
  const record = (at: number, outcome: 'hit' | 'miss') =>
    recordClaimAttempt(db.pool, {
      templateId,
      presetName: 'pool',
      presetId,
      at: new Date(at),
      outcome,
    });
  await record(DAY_START - 3 * 60 * MIN, 'hit');
  for (let i = 0; i < 30; i++) {
    await record(DAY_START + 9 * 60 * MIN + i * 2 * MIN, i % 3 === 0 ? 'miss' : 'hit');
  }
  // Five measured creations: lead times 100..140 s (90th percentile 136 s).
  for (const lead of [100, 110, 120, 130, 140]) {
    const createdAt = new Date(Date.now() - 60 * MIN);
    const build = await createPrebuild(db.pool, {
      templateId,
      versionId: pushed.versionId,
      presetId,
      createdAt,
    });
    await db.pool.query(sql.unsafe`
      UPDATE workspace_agents SET ready_at = ${new Date(createdAt.getTime() + lead * 1000).toISOString()}
      WHERE workspace_build_id = ${build.buildId}`);
  }
});

const ref = () => ({ template, preset: 'pool' });
const settings = DEFAULT_AUTOSCALING_SETTINGS;

describe('database sources', () => {
  it('replays the recorded attempts against the active policy with the measured lead time', async () => {
    const range = { from: DAY_START, to: DAY_START + 24 * 60 * MIN };
    const policy = await activePolicy(db.pool, ref()).load();
    expect(policy).toMatchObject({
      preset: 'pool',
      policy: { kind: 'expression', expression: 'max(scheduled_target, misses_10m * 2)' },
      schedule: { instances: 1, timezone: '', schedules: [] },
    });
    const demand = await recordedDemand(db.pool, ref(), { ...range, now: new Date() }).load();
    expect(demand.attempts).toHaveLength(31); // one of them history before --from
    expect(demand.recordedHits?.filter((hit) => !hit)).toHaveLength(10);
    expect(demand.measuredLeadTimeMs).toBe(136_000);
    const [report] = runSimulations(demand, [policy], {
      ...range,
      reconcileIntervalMs: 15_000,
      settings,
    });
    expect(report?.result.attempts).toBe(30);
    expect(report?.result.leadTimeMs).toBe(136_000);
  });

  it('unknown template or preset, and a preset without prebuilds: clear errors', async () => {
    const now = new Date();
    await expect(
      recordedDemand(db.pool, { template: 'nope', preset: 'pool' }, { now }).load(),
    ).rejects.toThrow(new SourceError('--template: no template "nope"'));
    await expect(activePolicy(db.pool, { template, preset: 'nope' }).load()).rejects.toThrow(
      /--preset: no preset "nope" in template .* \(version v1; presets: plain, pool\)/,
    );
    await expect(activePolicy(db.pool, { template, preset: 'plain' }).load()).rejects.toThrow(
      /preset "plain" of template .* has no prebuilds/,
    );
  });
});

describe('prebuilds simulate --template (the CLI)', () => {
  const cli = (...args: string[]) =>
    runCli(['prebuilds', 'simulate', ...args], { DATABASE_URL: db.url });

  it('prints the documented JSON for the recorded demand; --config and --compare work too', async () => {
    const run = await cli(
      '--template',
      template,
      '--preset',
      'pool',
      '--from',
      '2026-11-23T00:00:00Z',
      '--to',
      '2026-11-24T00:00:00Z',
      '--json',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({
      preset: 'pool',
      from: '2026-11-23T00:00:00.000Z',
      to: '2026-11-24T00:00:00.000Z',
      lead_time_s: 136,
      policy: { expression: 'max(scheduled_target, misses_10m * 2)' },
      attempts: 30,
      days: [{ date: '2026-11-23', attempts: 30 }],
    });
    expect(json.hits + json.misses).toBe(30);

    const fixed = join(dir, 'fixed.yaml');
    writeFileSync(fixed, 'name: t\npresets:\n  - name: pool\n    prebuilds: { instances: 5 }\n');
    const compared = await cli(
      '--template',
      template,
      '--preset',
      'pool',
      '--compare',
      fixed,
      '--lead-time',
      '1m',
      '--json',
    );
    expect(compared.stderr).toBe('');
    const both = JSON.parse(compared.stdout);
    // Without --from/--to: the hours the attempts span.
    expect(both.a).toMatchObject({
      attempts: 31,
      lead_time_s: 60,
      from: '2026-11-22T21:00:00.000Z',
    });
    expect(both.b).toMatchObject({ attempts: 31, policy: null });
    expect(both.b.hit_rate).toBeGreaterThanOrEqual(both.a.hit_rate);
  });

  it('an unknown template or preset is a one-line error, exit 1', async () => {
    const missing = await cli('--template', 'nope', '--preset', 'pool');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('prebuild-controller: --template: no template "nope"');
    const preset = await cli('--template', template, '--preset', 'nope');
    expect(preset.code).toBe(1);
    expect(preset.stderr).toMatch(/no preset "nope" in template/);
  });
});
