import { randomBytes } from 'node:crypto';

import { Registry } from 'prom-client';
import { sql } from 'slonik';
import { vi } from 'vitest';
import { z } from 'zod';

import type { Db } from '../../src/db/sql-files.js';
import {
  DEFAULT_PREBUILD_OPTIONS,
  type PrebuildOptions,
} from '../../src/domain/prebuilds/options.js';
import { silentLogger } from '../../src/log/logger.js';
import { prebuildMetricsFor } from '../../src/prebuilds/metrics.js';
import { PrebuildReconciler, type ReconcilerOptions } from '../../src/prebuilds/reconciler.js';
import { pushTemplate } from '../../src/templates/push.js';
import type { Clock } from '../../src/util/clock.js';
import type { TestDatabase } from '../helpers/db.js';
import { SYSTEM_USER_ID } from '../helpers/fixtures.js';
import { startTestDaemon, type TestDaemon } from '../jobs/helpers.js';
import { validConfig } from '../templates/helpers.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;

export interface PresetSpec {
  name?: string;
  instances?: number;
  ttlSecs?: number;
  parameters?: Record<string, string>;
  timezone?: string;
  schedule?: { cron: string; instances: number }[];
  isDefault?: boolean;
}

/** A template config (YAML) with echo builds and the given presets. */
export function templateYaml(name: string, presets: PresetSpec[], extra = ''): string {
  const lines = [`name: ${name}`, 'provisioner: echo'];
  if (extra) lines.push(extra);
  lines.push('presets:');
  for (const [i, preset] of presets.entries()) {
    lines.push(`  - name: ${preset.name ?? `p${i + 1}`}`);
    if (preset.isDefault) lines.push('    default: true');
    lines.push(`    parameters: ${JSON.stringify(preset.parameters ?? { slot: String(i + 1) })}`);
    if (preset.instances === undefined) continue;
    lines.push('    prebuilds:', `      instances: ${preset.instances}`);
    if (preset.ttlSecs) lines.push(`      expiration_policy: { ttl: ${preset.ttlSecs} }`);
    if (preset.schedule) {
      lines.push('      scheduling:', `        timezone: ${preset.timezone ?? 'UTC'}`);
      lines.push('        schedule:');
      for (const s of preset.schedule) {
        lines.push(`          - { cron: '${s.cron}', instances: ${s.instances} }`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/** Pushes a template config; returns the template id and the active version's preset ids by name. */
export async function push(db: TestDatabase, yaml: string) {
  const result = await pushTemplate(db.pool, validConfig(yaml));
  const rows = await db.pool.any(
    sql.type(z.object({ id: z.string(), name: z.string() }))`
      SELECT id, name FROM template_version_presets WHERE template_version_id = ${result.version.id}`,
  );
  return {
    templateId: result.template.id,
    versionId: result.version.id,
    presets: Object.fromEntries(rows.map((row) => [row.name, row.id])) as Record<string, string>,
  };
}

export function reconcilerFor(
  db: TestDatabase,
  clock: Clock,
  over: Omit<Partial<ReconcilerOptions>, 'options'> & { options?: Partial<PrebuildOptions> } = {},
) {
  const registry = new Registry();
  const { options, ...rest } = over;
  return new PrebuildReconciler({
    db: db.pool,
    logger: silentLogger(),
    clock,
    options: { ...DEFAULT_PREBUILD_OPTIONS, ...options },
    intervalMs: HOUR,
    metrics: prebuildMetricsFor(registry),
    ...rest,
  });
}

/** The in-process echo daemon, on the test's clock. */
export function echoDaemon(
  db: TestDatabase,
  clock: Clock,
  echo: { durationMs?: number; failureRate?: number; agentReadyDelayMs?: number } = {},
): Promise<TestDaemon> {
  return startTestDaemon({
    db: db.pool,
    url: db.url,
    clock,
    concurrency: 8,
    pollIntervalMs: 200,
    echo: { durationMs: 5, ...echo },
  });
}

const Count = z.object({ n: z.number() });

/** Waits until no provisioner job is unfinished (every build ran). */
export async function waitForIdle(db: Db, timeoutMs = 20_000): Promise<void> {
  await vi.waitFor(
    async () => {
      const n = await db.oneFirst(
        sql.type(Count)`SELECT count(*)::int AS n FROM provisioner_jobs WHERE completed_at IS NULL`,
      );
      if (n > 0) throw new Error(`${n} jobs still unfinished`);
    },
    { timeout: timeoutMs, interval: 25 },
  );
}

const PrebuildRow = z.object({
  id: z.string(),
  preset_id: z.string().nullable(),
  created_at: z.date(),
  transition: z.string(),
  job_status: z.string(),
  ready: z.boolean(),
});
export type PrebuildRow = z.infer<typeof PrebuildRow>;

/** Every live system-owned workspace with its latest build (independent of the snapshot SQL). */
export async function prebuilds(db: Db, presetId?: string): Promise<PrebuildRow[]> {
  const rows = await db.any(sql.type(PrebuildRow)`
    SELECT w.id, lb.template_version_preset_id AS preset_id, w.created_at, lb.transition::text,
           j.job_status::text,
           COALESCE((SELECT bool_and(a.lifecycle_state = 'ready') FROM workspace_agents a
                     WHERE a.workspace_build_id = lb.id AND NOT a.deleted), false) AS ready
    FROM workspaces w
    CROSS JOIN LATERAL (
      SELECT b.* FROM workspace_builds b WHERE b.workspace_id = w.id
      ORDER BY b.build_number DESC LIMIT 1) lb
    JOIN provisioner_jobs j ON j.id = lb.job_id
    WHERE w.owner_id = ${SYSTEM_USER_ID} AND NOT w.deleted
    ORDER BY w.created_at, w.id`);
  return rows.filter((row) => presetId === undefined || row.preset_id === presetId);
}

/** Running (succeeded start) and ready prebuilds of a preset. */
export async function readyPrebuilds(db: Db, presetId: string): Promise<PrebuildRow[]> {
  return (await prebuilds(db, presetId)).filter(
    (row) => row.transition === 'start' && row.job_status === 'succeeded' && row.ready,
  );
}

export async function countRows(db: Db, query: ReturnType<typeof sql.unsafe>): Promise<number> {
  return db.oneFirst(sql.type(Count)`SELECT count(*)::int AS n FROM (${query}) q`);
}

/** Total builds ever made: a pass that changes nothing adds none. */
export async function buildCount(db: Db): Promise<number> {
  return countRows(db, sql.unsafe`SELECT 1 FROM workspace_builds`);
}

/** Builds of a preset's prebuilds (creations, deletes...), counted by transition. */
export async function presetBuilds(db: Db, presetId: string): Promise<Record<string, number>> {
  const rows = await db.any(
    sql.type(z.object({ transition: z.string(), n: z.number() }))`
      SELECT b.transition::text, count(*)::int AS n
      FROM workspace_builds b
      WHERE b.initiator_id = ${SYSTEM_USER_ID}
        AND (b.template_version_preset_id = ${presetId} OR b.workspace_id IN (
          SELECT workspace_id FROM workspace_builds WHERE template_version_preset_id = ${presetId}))
      GROUP BY b.transition`,
  );
  return Object.fromEntries(rows.map((row) => [row.transition, row.n]));
}
