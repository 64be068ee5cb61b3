import pg from 'pg';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { CHANNELS } from '../../src/db/channels.js';
import { listTemplates } from '../../src/templates/list.js';
import { contentHash } from '../../src/templates/mapping.js';
import { planPush, pushTemplate } from '../../src/templates/push.js';
import { useTestDatabase } from '../helpers/db.js';
import { EXAMPLE, exampleNamed, templateRowCounts, validConfig } from './helpers.js';

const db = useTestDatabase();

const TemplateRow = z.object({
  id: z.string(),
  active_version_id: z.string().nullable(),
  default_ttl: z.number(),
  activity_bump: z.number(),
  autostop_requirement_days_of_week: z.number(),
  autostart_block_days_of_week: z.number(),
  time_til_dormant: z.number(),
  display_name: z.string(),
  provisioner: z.string(),
});

async function templateRow(name: string) {
  return db.pool.one(sql.type(TemplateRow)`
    SELECT id, active_version_id, default_ttl, activity_bump, autostop_requirement_days_of_week,
           autostart_block_days_of_week, time_til_dormant, display_name, provisioner::text
    FROM templates WHERE name = ${name} AND NOT deleted`);
}

async function versionNames(templateId: string): Promise<string[]> {
  const rows = await db.pool.any(
    sql.type(z.object({ name: z.string() }))`
      SELECT name FROM template_versions WHERE template_id = ${templateId} ORDER BY created_at, name`,
  );
  return rows.map((row) => row.name);
}

/** Collects notifications on the reconcile channel. */
class ReconcileListener {
  readonly payloads: Record<string, unknown>[] = [];
  #client: pg.Client | undefined;
  #waiters: (() => void)[] = [];

  async start(url: string) {
    this.#client = new pg.Client({ connectionString: url });
    await this.#client.connect();
    this.#client.on('notification', (message) => {
      this.payloads.push(JSON.parse(message.payload ?? '{}') as Record<string, unknown>);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    await this.#client.query(`LISTEN ${CHANNELS.reconcile}`);
  }

  async next(): Promise<Record<string, unknown>> {
    while (this.payloads.length === 0) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.payloads.shift() as Record<string, unknown>;
  }

  async stop() {
    await this.#client?.end();
  }
}

const listener = new ReconcileListener();
beforeAll(async () => {
  await listener.start(db.url);
});
afterAll(async () => {
  await listener.stop();
});

describe('pushTemplate', () => {
  it('creates the template, an active version with presets, parameters and schedules, and notifies', async () => {
    const config = validConfig(EXAMPLE);
    const result = await pushTemplate(db.pool, config);
    expect(result.changed).toBe(true);
    expect(result.templateCreated).toBe(true);
    expect(result.version.name).toBe('v1');
    expect(result.version.content_hash).toBe(contentHash(config));

    const template = await templateRow('dev-env');
    expect(template).toMatchObject({
      id: result.template.id,
      active_version_id: result.version.id,
      default_ttl: 8 * 3_600_000,
      activity_bump: 3_600_000,
      autostop_requirement_days_of_week: 96,
      autostart_block_days_of_week: 96,
      time_til_dormant: 30 * 86_400_000,
      display_name: 'Development environment',
      provisioner: 'echo',
    });

    const version = await db.pool.one(
      sql.type(
        z.object({
          config: z.unknown(),
          content_hash: z.string(),
          tags: z.unknown(),
          provisioner: z.string(),
        }),
      )`
        SELECT config, content_hash, tags, provisioner::text FROM template_versions WHERE id = ${result.version.id}`,
    );
    expect(version).toEqual({
      config: JSON.parse(JSON.stringify(config)) as unknown,
      content_hash: contentHash(config),
      tags: { region: 'us-east' },
      provisioner: 'echo',
    });

    const presets = await db.pool.any(
      sql.type(
        z.object({
          name: z.string(),
          is_default: z.boolean(),
          desired_instances: z.number().nullable(),
          invalidate_after_secs: z.number().nullable(),
          scheduling_timezone: z.string(),
          parameters: z.record(z.string()),
          schedules: z.array(
            z.object({ position: z.number(), cron: z.string(), instances: z.number() }),
          ),
        }),
      )`
        SELECT p.name, p.is_default, p.desired_instances, p.invalidate_after_secs, p.scheduling_timezone,
          COALESCE((SELECT jsonb_object_agg(name, value) FROM template_version_preset_parameters
                    WHERE template_version_preset_id = p.id), '{}') AS parameters,
          COALESCE((SELECT jsonb_agg(jsonb_build_object('position', position, 'cron', cron_expression,
                                                        'instances', desired_instances) ORDER BY position)
                    FROM template_version_preset_prebuild_schedules WHERE preset_id = p.id), '[]') AS schedules
        FROM template_version_presets p WHERE p.template_version_id = ${result.version.id}
        ORDER BY p.name`,
    );
    expect(presets).toEqual([
      {
        name: 'eu-nix',
        is_default: false,
        desired_instances: 1,
        invalidate_after_secs: 0,
        scheduling_timezone: 'Europe/Berlin',
        parameters: { region: 'eu-central', cpus: '4' },
        schedules: [{ position: 0, cron: '* 7-19 * * MON-FRI', instances: 2 }],
      },
      {
        name: 'gpu',
        is_default: false,
        desired_instances: null,
        invalidate_after_secs: 0,
        scheduling_timezone: '',
        parameters: { region: 'us-east', cpus: '16', gpu: 'a100' },
        schedules: [],
      },
      {
        name: 'us-nix',
        is_default: true,
        desired_instances: 0,
        invalidate_after_secs: 86400,
        scheduling_timezone: 'America/New_York',
        parameters: { region: 'us-east', cpus: '4' },
        schedules: [
          { position: 0, cron: '* 8-18 * * 1-5', instances: 3 },
          { position: 1, cron: '* 8-14 * * 6', instances: 1 },
        ],
      },
    ]);

    expect(await listener.next()).toEqual({
      reason: 'template_pushed',
      template_id: result.template.id,
      version_id: result.version.id,
    });
  });

  it('treats identical content as a no-op (formatting and comments do not count)', async () => {
    const before = await templateRowCounts(db.pool);
    const active = await templateRow('dev-env');
    const reformatted = `# reformatted\n${EXAMPLE.replace('default_ttl: 8h', 'default_ttl: 480m')}`;
    const result = await pushTemplate(db.pool, validConfig(reformatted));
    expect(result.changed).toBe(false);
    expect(result.version.id).toBe(active.active_version_id);
    expect(result.version.name).toBe('v1');
    expect(await templateRowCounts(db.pool)).toEqual(before);

    // The no-op sent nothing: the next notification is the next real push's.
    const changed = await pushTemplate(db.pool, validConfig(exampleNamed('noop-check')));
    expect((await listener.next()).version_id).toBe(changed.version.id);
  });

  it('makes changed content a new active version and applies template settings', async () => {
    const changedText = EXAMPLE.replace('default_ttl: 8h', 'default_ttl: 10h').replace(
      "- { cron: '* 8-14 * * 6', instances: 1 }",
      "- { cron: '* 8-14 * * 6', instances: 2 }",
    );
    const result = await pushTemplate(db.pool, validConfig(changedText));
    expect(result).toMatchObject({
      changed: true,
      templateCreated: false,
      version: { name: 'v2' },
    });
    const template = await templateRow('dev-env');
    expect(template.active_version_id).toBe(result.version.id);
    expect(template.default_ttl).toBe(10 * 3_600_000);
    expect(await versionNames(template.id)).toEqual(['v1', 'v2']);
    expect((await listener.next()).version_id).toBe(result.version.id);

    // Back to the first content: a new version again (v3), since v2 is the active one.
    const back = await pushTemplate(db.pool, validConfig(EXAMPLE));
    expect(back).toMatchObject({ changed: true, version: { name: 'v3' } });
    expect((await listener.next()).version_id).toBe(back.version.id);
  });

  it('creates a missing organization', async () => {
    const result = await pushTemplate(
      db.pool,
      validConfig(`name: solo\norganization: team-blue\npresets: [{ name: p }]\n`),
    );
    expect(result).toMatchObject({ changed: true, template: { organization: 'team-blue' } });
    const org = await db.pool.oneFirst(
      sql.type(z.object({ name: z.string() }))`
        SELECT o.name FROM templates t JOIN organizations o ON o.id = t.organization_id
        WHERE t.id = ${result.template.id}`,
    );
    expect(org).toBe('team-blue');
    await listener.next();
  });
});

describe('concurrent pushes of one template', () => {
  it('identical content: one version, one push reports a change', async () => {
    const config = validConfig(exampleNamed('race-same'));
    const results = await Promise.all(
      Array.from({ length: 10 }, () => pushTemplate(db.pool, config)),
    );
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(new Set(results.map((r) => r.version.id)).size).toBe(1);
    expect(await versionNames((await templateRow('race-same')).id)).toEqual(['v1']);
    await listener.next();
  });

  it('different content: distinct versions, each complete, none half-written', async () => {
    const configs = Array.from({ length: 8 }, (_, i) =>
      validConfig(exampleNamed('race-diff', [['instances: 0 #', `instances: ${i} #`]])),
    );
    const results = await Promise.all(configs.map((config) => pushTemplate(db.pool, config)));
    expect(results.every((r) => r.changed)).toBe(true);
    const template = await templateRow('race-diff');
    expect((await versionNames(template.id)).sort()).toEqual(
      ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8'].sort(),
    );
    const perVersion = await db.pool.any(
      sql.type(z.object({ presets: z.number(), schedules: z.number(), parameters: z.number() }))`
        SELECT
          (SELECT count(*)::int FROM template_version_presets p WHERE p.template_version_id = v.id) AS presets,
          (SELECT count(*)::int FROM template_version_presets p
             JOIN template_version_preset_prebuild_schedules s ON s.preset_id = p.id
           WHERE p.template_version_id = v.id) AS schedules,
          (SELECT count(*)::int FROM template_version_presets p
             JOIN template_version_preset_parameters pp ON pp.template_version_preset_id = p.id
           WHERE p.template_version_id = v.id) AS parameters
        FROM template_versions v WHERE v.template_id = ${template.id}`,
    );
    expect(perVersion).toHaveLength(8);
    for (const counts of perVersion)
      expect(counts).toEqual({ presets: 3, schedules: 3, parameters: 7 });
    // The last push to commit is the active version.
    const last = results.reduce((a, b) =>
      a.version.name.localeCompare(b.version.name, 'en', { numeric: true }) > 0 ? a : b,
    );
    expect(template.active_version_id).toBe(last.version.id);
    for (let i = 0; i < 8; i++) await listener.next();
  });
});

describe('a push that fails halfway leaves nothing behind', () => {
  const failing = (name: string, instances: number) =>
    validConfig(
      exampleNamed(name, [
        [
          "- { cron: '* 8-14 * * 6', instances: 1 }",
          `- { cron: '* 8-14 * * 6', instances: ${instances} }`,
        ],
      ]),
    );

  it('when a later INSERT fails', async () => {
    await db.pool.query(sql.unsafe`
      CREATE FUNCTION test_fail_schedule() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.desired_instances = 999 THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW;
      END $$`);
    await db.pool.query(sql.unsafe`
      CREATE TRIGGER test_fail_schedule BEFORE INSERT ON template_version_preset_prebuild_schedules
      FOR EACH ROW EXECUTE FUNCTION test_fail_schedule()`);
    try {
      // A new template and a new version of an existing one.
      for (const name of ['halfway-new', 'dev-env']) {
        const before = await templateRowCounts(db.pool);
        const activeBefore =
          name === 'dev-env' ? (await templateRow(name)).active_version_id : null;
        await expect(pushTemplate(db.pool, failing(name, 999))).rejects.toThrow(/injected failure/);
        expect(await templateRowCounts(db.pool)).toEqual(before);
        if (activeBefore) expect((await templateRow(name)).active_version_id).toBe(activeBefore);
      }
    } finally {
      await db.pool.query(
        sql.unsafe`DROP TRIGGER test_fail_schedule ON template_version_preset_prebuild_schedules`,
      );
      await db.pool.query(sql.unsafe`DROP FUNCTION test_fail_schedule()`);
    }
  });

  it('when the database connection dies mid-transaction', async () => {
    const LOCK = 424242;
    await db.pool.query(sql.unsafe`
      CREATE FUNCTION test_block_schedule() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.desired_instances = 998 THEN PERFORM pg_advisory_lock(424242); END IF;
        RETURN NEW;
      END $$`);
    await db.pool.query(sql.unsafe`
      CREATE TRIGGER test_block_schedule BEFORE INSERT ON template_version_preset_prebuild_schedules
      FOR EACH ROW EXECUTE FUNCTION test_block_schedule()`);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      const before = await templateRowCounts(db.pool);
      await holder.query('SELECT pg_advisory_lock($1)', [LOCK]);
      const push = pushTemplate(db.pool, failing('killed-midway', 998));
      const outcome = push.then(
        () => 'committed',
        (error: unknown) => (error as Error).message,
      );
      // Wait until the push's transaction has written the template, version and presets and
      // sits blocked inside the schedule INSERT, then kill its backend.
      let pid: number | undefined;
      while (pid === undefined) {
        const waiting = await holder.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1`,
          [LOCK],
        );
        pid = waiting.rows[0]?.pid;
        if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const inserted = await holder.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE pid = $1 AND locktype = 'relation' AND relation = 'template_versions'::regclass`,
        [pid],
      );
      expect(inserted.rows[0]?.n).toBeGreaterThan(0);
      await holder.query('SELECT pg_terminate_backend($1)', [pid]);
      expect(await outcome).not.toBe('committed');
      await holder.query('SELECT pg_advisory_unlock($1)', [LOCK]);
      expect(await templateRowCounts(db.pool)).toEqual(before);
      const leftovers = await db.pool.oneFirst(
        sql.type(
          z.object({ n: z.number() }),
        )`SELECT count(*)::int AS n FROM templates WHERE name = 'killed-midway'`,
      );
      expect(leftovers).toBe(0);
    } finally {
      await holder.end();
      await db.pool.query(
        sql.unsafe`DROP TRIGGER test_block_schedule ON template_version_preset_prebuild_schedules`,
      );
      await db.pool.query(sql.unsafe`DROP FUNCTION test_block_schedule()`);
    }
    // The pool recovers and the same push now succeeds.
    const retried = await pushTemplate(db.pool, failing('killed-midway', 998));
    expect(retried.changed).toBe(true);
    await listener.next();
  });
});

describe('planPush (dry run)', () => {
  it('says what would change without writing', async () => {
    const before = await templateRowCounts(db.pool);
    const created = await planPush(db.pool, validConfig(exampleNamed('not-yet')));
    expect(created).toMatchObject({ action: 'create', version: 'v1', organizationExists: true });
    expect(created.changes).toContain('+ new template');
    expect(created.changes).toContain(
      '+ preset us-nix (default): 0 prebuild(s), 2 schedule(s) in America/New_York',
    );

    const unchanged = await planPush(db.pool, validConfig(EXAMPLE));
    expect(unchanged).toMatchObject({ action: 'unchanged', changes: [] });

    const update = await planPush(
      db.pool,
      validConfig(
        EXAMPLE.replace('default_ttl: 8h', 'default_ttl: 9h').replace(/ {2}- name: gpu\n.*\n/, ''),
      ),
    );
    expect(update.action).toBe('update');
    expect(update.changes).toEqual(['~ lifecycle.default_ttl: "8h" -> "9h"', '- preset gpu']);
    expect(await templateRowCounts(db.pool)).toEqual(before);
  });
});

describe('listTemplates', () => {
  it('shows active versions, presets, prebuild config and the schedule now', async () => {
    // Monday 2026-11-23 15:00 UTC = 10:00 in New York, 16:00 in Berlin.
    const { templates, unreadable } = await listTemplates(
      db.pool,
      new Date('2026-11-23T15:00:00Z'),
    );
    expect(unreadable).toEqual([]);
    const devEnv = templates.find((t) => t.name === 'dev-env');
    expect(devEnv?.active_version?.name).toBe('v3');
    expect(devEnv?.organization).toBe('default');
    expect(devEnv?.lifecycle).toMatchObject({
      default_ttl_ms: 8 * 3_600_000,
      autostart_allowed_days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
      autostop_requirement: { days_of_week: ['saturday', 'sunday'], weeks: 1 },
    });
    const presets = Object.fromEntries((devEnv?.presets ?? []).map((p) => [p.name, p]));
    expect(presets['us-nix']?.prebuilds).toEqual({
      instances: 0,
      expiration_policy: { ttl: 86400 },
      scheduling: {
        timezone: 'America/New_York',
        schedule: [
          { cron: '* 8-18 * * 1-5', instances: 3 },
          { cron: '* 8-14 * * 6', instances: 1 },
        ],
      },
      desired_now: 3,
      next_change: { at: new Date('2026-11-24T00:00:00Z'), desired: 0 },
    });
    expect(presets['eu-nix']?.prebuilds).toMatchObject({
      desired_now: 2,
      next_change: { at: new Date('2026-11-23T19:00:00Z'), desired: 1 },
    });
    expect(presets.gpu?.prebuilds).toBeNull();
    expect(presets.gpu?.parameters).toEqual({ region: 'us-east', cpus: '16', gpu: 'a100' });
    expect(templates.map((t) => `${t.organization}/${t.name}`)).toContain('team-blue/solo');
  });
});
