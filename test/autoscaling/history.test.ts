import { sql } from 'slonik';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { recordClaimAttempt } from '../../src/autoscaling/claim-history.js';
import {
  demandKey,
  readDemandHistories,
  readDemandWindows,
  readLeadTimes,
} from '../../src/autoscaling/demand-reads.js';
import { ClaimHistoryPruner } from '../../src/autoscaling/history-pruner.js';
import { AutoscalingInputs } from '../../src/autoscaling/inputs.js';
import { silentLogger } from '../../src/log/logger.js';
import { createWorkspace } from '../../src/prebuilds/create-workspace.js';
import { readPresets } from '../../src/prebuilds/snapshot-reads.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { createPrebuild, createUser } from '../helpers/fixtures.js';
import { push, templateYaml, uniqueName } from '../prebuilds/harness.js';

/** Claim history (prebuild_claim_attempts) and the autoscaler's set-based reads of it. */
const db = useTestDatabase();
const MIN = 60_000;
const NOW = new Date('2026-03-04T12:00:00.000Z'); // a Wednesday

const Attempt = z.object({
  preset_name: z.string(),
  preset_id: z.string(),
  outcome: z.string(),
  at: z.date(),
});
const attemptsOf = (templateId: string) =>
  db.pool.any(
    sql.type(Attempt)`SELECT preset_name, preset_id, outcome, at FROM prebuild_claim_attempts
                      WHERE template_id = ${templateId} ORDER BY id`,
  );

let owner: string;
beforeAll(async () => {
  owner = await createUser(db.pool);
});

async function pushed(extra: { autoscaling?: string } = {}) {
  const name = uniqueName('hist');
  let yaml = templateYaml(name, [
    { name: 'pool', instances: 1 },
    { name: 'plain' }, // no prebuilds
  ]);
  if (extra.autoscaling) {
    yaml = yaml.replace('      instances: 1\n', `      instances: 1\n${extra.autoscaling}`);
  }
  return { name, ...(await push(db, yaml)) };
}

const create = (template: string, preset: string, name = uniqueName('ws')) =>
  createWorkspace(db.pool, { owner, template, preset, name }, NOW);

describe('claim attempts are recorded with the claim or the build that ran instead', () => {
  it('a miss (no prebuild), then a hit (a ready prebuild), nothing for a preset without prebuilds', async () => {
    const t = await pushed();
    const presetId = t.presets.pool as string;
    const missed = await create(t.name, 'pool');
    expect(missed.claimed).toBe(false);

    await createPrebuild(db.pool, { templateId: t.templateId, versionId: t.versionId, presetId });
    const hit = await create(t.name, 'pool');
    expect(hit.claimed).toBe(true);

    await create(t.name, 'plain');
    expect(await attemptsOf(t.templateId)).toEqual([
      { preset_name: 'pool', preset_id: presetId, outcome: 'miss', at: NOW },
      { preset_name: 'pool', preset_id: presetId, outcome: 'hit', at: NOW },
    ]);
  });

  it('a create that fails records nothing (same transaction)', async () => {
    const t = await pushed();
    const name = uniqueName('dup');
    await create(t.name, 'pool', name);
    await expect(create(t.name, 'pool', name)).rejects.toThrow(/already has a workspace/);
    expect(await attemptsOf(t.templateId)).toHaveLength(1);
  });

  it('the windows query uses the at index (no sequential scan)', async () => {
    await db.pool.query(sql.unsafe`SET enable_seqscan = off`);
    const plan = await db.pool.anyFirst(
      sql.type(z.object({ 'QUERY PLAN': z.string() }))`
        EXPLAIN SELECT template_id, preset_name, count(*) FROM prebuild_claim_attempts
        WHERE at > now() - interval '120 minutes' AND at <= now() GROUP BY 1, 2`,
    );
    expect(plan.join('\n')).toMatch(/prebuild_claim_attempts_at/);
  });
});

describe('set-based reads', () => {
  it('windows: (now - w, now] per template and preset name, hits and misses apart', async () => {
    const t = await pushed();
    const presetId = t.presets.pool as string;
    const at = (minutesAgo: number, outcome: 'hit' | 'miss') =>
      recordClaimAttempt(db.pool, {
        templateId: t.templateId,
        presetName: 'pool',
        presetId,
        at: new Date(NOW.getTime() - minutesAgo * MIN),
        outcome,
      });
    for (const ago of [0, 4.9, 5, 9, 29, 59, 119, 120, 200]) await at(ago, 'hit');
    for (const ago of [1, 31, 121]) await at(ago, 'miss');
    // A future attempt (another replica's clock) is not counted.
    await at(-1, 'hit');

    const windows = (await readDemandWindows(db.pool, NOW)).get(demandKey(t.templateId, 'pool'));
    expect(windows).toEqual({
      claims: { 5: 2, 10: 4, 30: 5, 60: 6, 120: 7 },
      misses: { 5: 1, 10: 1, 30: 1, 60: 2, 120: 2 },
    });
  });

  it('profile: attempts per local hour of the week since max(now - history, first attempt)', async () => {
    const t = await pushed();
    const presetId = t.presets.pool as string;
    const record = (iso: string) =>
      recordClaimAttempt(db.pool, {
        templateId: t.templateId,
        presetName: 'pool',
        presetId,
        at: new Date(iso),
        outcome: 'miss',
      });
    // Monday 2026-03-02 08:30 in Berlin is 07:30 UTC; twice on Tuesday 09:10 Berlin.
    await record('2026-03-02T07:30:00Z');
    await record('2026-03-03T08:10:00Z');
    await record('2026-03-03T08:50:00Z');
    // Long before the history: counts only for `since`.
    await record('2026-01-01T00:00:00Z');

    const key = demandKey(t.templateId, 'pool');
    const week = 7 * 86_400_000;
    const histories = await readDemandHistories(
      db.pool,
      [
        {
          templateId: t.templateId,
          presetName: 'pool',
          timezone: 'Europe/Berlin',
          historyMs: week,
        },
        { templateId: t.templateId, presetName: 'nothing', timezone: '', historyMs: week },
      ],
      NOW,
    );
    const history = histories.get(key);
    expect(history?.since).toEqual(new Date(NOW.getTime() - week));
    const counts = history?.attemptsByHourOfWeek ?? [];
    expect(counts).toHaveLength(168);
    expect(counts[1 * 24 + 8]).toBe(1);
    expect(counts[2 * 24 + 9]).toBe(2);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(histories.get(demandKey(t.templateId, 'nothing'))).toEqual({
      attemptsByHourOfWeek: Array.from({ length: 168 }, () => 0),
      since: null,
    });
  });

  it('lead time: 90th percentile of creation job start to eligible, null below 5 samples', async () => {
    const t = await pushed();
    const presetId = t.presets.pool as string;
    const key = demandKey(t.templateId, 'pool');
    const made = async (startedMinutesAgo: number, leadSeconds: number) => {
      const createdAt = new Date(NOW.getTime() - startedMinutesAgo * MIN);
      const build = await createPrebuild(db.pool, {
        templateId: t.templateId,
        versionId: t.versionId,
        presetId,
        createdAt,
      });
      await db.pool.query(sql.unsafe`
        UPDATE workspace_agents
        SET ready_at = ${new Date(createdAt.getTime() + leadSeconds * 1000).toISOString()}
        WHERE workspace_build_id = ${build.buildId}`);
    };
    for (const lead of [60, 70, 80, 90]) await made(30, lead);
    const one = [{ templateId: t.templateId, presetName: 'pool' }];
    expect((await readLeadTimes(db.pool, one, NOW)).get(key)).toBeUndefined();
    await made(20, 300);
    // Not ready / failed creations are no samples.
    await createPrebuild(db.pool, {
      templateId: t.templateId,
      versionId: t.versionId,
      presetId,
      ready: false,
      createdAt: new Date(NOW.getTime() - 10 * MIN),
    });
    // percentile_cont(0.9) of 60, 70, 80, 90, 300 s = 90 + 0.6 * 210 = 216 s.
    expect((await readLeadTimes(db.pool, one, NOW)).get(key)).toBe(216_000);
  });

  it('the stored policy comes with the preset; the pass inputs cache the forecast parts', async () => {
    const t = await pushed({
      autoscaling:
        '      autoscaling:\n        forecast: { target_hit_rate: 0.9, max: 10, lead_time: 3m }\n',
    });
    const presets = await readPresets(db.pool, true, []);
    const preset = presets.find((p) => p.id === t.presets.pool);
    expect(preset?.autoscaling).toEqual({
      kind: 'forecast',
      targetHitRate: 0.9,
      min: null,
      max: 10,
      historyMs: 28 * 86_400_000,
      leadTimeMs: 180_000,
    });
    const mine = presets.filter((p) => p.templateId === t.templateId);
    await recordClaimAttempt(db.pool, {
      templateId: t.templateId,
      presetName: 'pool',
      presetId: t.presets.pool as string,
      at: new Date(NOW.getTime() - 2 * MIN),
      outcome: 'hit',
    });
    const inputs = new AutoscalingInputs({ refreshMs: 10 * MIN });
    const [first] = await inputs.load(db.pool, mine, NOW);
    expect(first).toMatchObject({
      presetId: t.presets.pool,
      demand: { claims: { 5: 1, 120: 1 } },
      measuredLeadTimeMs: null,
    });
    expect(first?.history?.attemptsByHourOfWeek.reduce((a, b) => a + b, 0)).toBe(1);

    // Another attempt: the windows see it at once, the cached profile only after refreshMs.
    await recordClaimAttempt(db.pool, {
      templateId: t.templateId,
      presetName: 'pool',
      presetId: t.presets.pool as string,
      at: new Date(NOW.getTime() - MIN),
      outcome: 'miss',
    });
    const later = new Date(NOW.getTime() + MIN);
    const [second] = await inputs.load(db.pool, mine, later);
    expect(second?.demand.misses[5]).toBe(1);
    expect(second?.history?.attemptsByHourOfWeek.reduce((a, b) => a + b, 0)).toBe(1);
    const [third] = await inputs.load(db.pool, mine, new Date(NOW.getTime() + 11 * MIN));
    expect(third?.history?.attemptsByHourOfWeek.reduce((a, b) => a + b, 0)).toBe(2);
  });
});

describe('retention', () => {
  it('deletes attempts older than the retention in batches, keeps the rest', async () => {
    const t = await pushed();
    const presetId = t.presets.pool as string;
    await db.pool.query(sql.unsafe`
      INSERT INTO prebuild_claim_attempts (template_id, preset_name, preset_id, at, outcome)
      SELECT ${t.templateId}, 'pool', ${presetId},
             ${NOW.toISOString()}::timestamptz - make_interval(days => 40) + i * interval '1 second',
             'hit'
      FROM generate_series(1, 25) i`);
    await recordClaimAttempt(db.pool, {
      templateId: t.templateId,
      presetName: 'pool',
      presetId,
      at: new Date(NOW.getTime() - 34 * 86_400_000),
      outcome: 'miss',
    });
    const pruner = new ClaimHistoryPruner({
      db: db.pool,
      logger: silentLogger(),
      clock: new FakeClock(NOW.toISOString()),
      retentionMs: 35 * 86_400_000,
      batchSize: 10,
      maxBatches: 2,
    });
    // These 25 and the one of the profile test are the old ones.
    const old = await db.pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`
        SELECT count(*)::int AS n FROM prebuild_claim_attempts
        WHERE at < ${new Date(NOW.getTime() - 35 * 86_400_000).toISOString()}`,
    );
    expect(old).toBeGreaterThanOrEqual(25);
    expect(old).toBeLessThan(40);
    expect(await pruner.pruneOnce()).toBe(20);
    expect(await pruner.pruneOnce()).toBe(old - 20);
    expect(await pruner.pruneOnce()).toBe(0);
    expect((await attemptsOf(t.templateId)).map((a) => a.outcome)).toEqual(['miss']);
  });
});
