import { z } from 'zod';

import type { AutoscalingInputs } from '../autoscaling/inputs.js';
import { CHANNELS } from '../db/channels.js';
import { type Db, defineQuery } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import type { PrebuildOptions } from '../domain/prebuilds/options.js';
import { presetPlanJson, presetStatusJson } from '../domain/prebuilds/report.js';
import { AppError, badRequest, notFound } from '../http/errors.js';
import { notify } from '../jobs/notify.js';
import { loadStateView, type StateView } from './state-view.js';

const PresetChanged = z.object({
  id: z.string(),
  name: z.string(),
  template_name: z.string(),
  template_version_name: z.string(),
  organization_name: z.string(),
  prebuild_status: z.string(),
  last_invalidated_at: z.date().nullable(),
  failure_limit_reset_at: z.date().nullable(),
});
type PresetChanged = z.infer<typeof PresetChanged>;

const invalidateQuery = defineQuery<{ preset_id: string; now: Date }, typeof PresetChanged>(
  'InvalidatePrebuildPreset',
  PresetChanged,
);
const resetQuery = defineQuery<{ preset_id: string; now: Date }, typeof PresetChanged>(
  'ResetPrebuildPreset',
  PresetChanged,
);

const FoundPreset = z.object({
  id: z.string(),
  name: z.string(),
  template_name: z.string(),
  organization_name: z.string(),
});
const findPresets = defineQuery<
  { preset: string; template: string | null; organization: string | null },
  typeof FoundPreset
>('FindActivePresetsByName', FoundPreset);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** `GET /api/v1/presets` and `prebuilds status --json`. */
export function statusJson(view: StateView) {
  return {
    at: view.at.toISOString(),
    paused: view.paused,
    presets: view.plans.map((plan) => presetStatusJson(plan, view.at)),
  };
}

/** `GET /api/v1/presets/plan` and `prebuilds plan --json`: what the next pass would do. */
export function planJson(view: StateView) {
  return {
    at: view.at.toISOString(),
    paused: view.paused,
    presets: view.plans.map(presetPlanJson),
  };
}

export async function presetsStatus(
  db: Db,
  now: Date,
  options: PrebuildOptions,
  autoscaling?: AutoscalingInputs,
) {
  return statusJson(await loadStateView(db, now, options, undefined, autoscaling));
}

export async function presetsPlan(
  db: Db,
  now: Date,
  options: PrebuildOptions,
  autoscaling?: AutoscalingInputs,
) {
  return planJson(await loadStateView(db, now, options, undefined, autoscaling));
}

function changedJson(row: PresetChanged) {
  return {
    id: row.id,
    template: row.template_name,
    preset: row.name,
    organization: row.organization_name,
    template_version: row.template_version_name,
    status: row.prebuild_status,
    last_invalidated_at: row.last_invalidated_at?.toISOString() ?? null,
    failure_limit_reset_at: row.failure_limit_reset_at?.toISOString() ?? null,
  };
}

async function changePreset(
  db: Db,
  presetId: string,
  now: Date,
  query: typeof invalidateQuery,
  reason: string,
) {
  if (!isUuid(presetId)) throw notFound(`no preset ${presetId}`);
  return withTransaction(db, {}, async (tx) => {
    const row = await query.maybeOne(tx, { preset_id: presetId, now });
    if (!row) throw notFound(`no preset ${presetId}`);
    await notify(tx, CHANNELS.reconcile, [{ reason, preset_id: row.id }]);
    return changedJson(row);
  });
}

/** Expires every prebuild of the preset created before now; the reconciler replaces them. */
export function invalidatePreset(db: Db, presetId: string, now: Date) {
  return changePreset(db, presetId, now, invalidateQuery, 'preset_invalidated');
}

/** Clears the hard limit (and a validation failure): creation resumes with a clean slate. */
export function resetPreset(db: Db, presetId: string, now: Date) {
  return changePreset(db, presetId, now, resetQuery, 'preset_reset');
}

/** Presets of active versions of live templates with this name (optionally of one template). */
export function findActivePresets(
  db: Db,
  preset: string,
  template: string | null = null,
  organization: string | null = null,
) {
  return findPresets.any(db, { preset, template, organization });
}

/**
 * A preset by id, or by `template/preset` (or `organization/template/preset`) among the active
 * versions of live templates; a bare preset name works when only one template has it.
 */
export async function resolvePresetRef(db: Db, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  const parts = ref.split('/');
  if (parts.length > 3 || parts.some((part) => part === '')) {
    throw badRequest(
      `"${ref}" is not a preset: give its id, template/preset or organization/template/preset`,
      [
        {
          path: 'preset',
          message: 'must be an id, template/preset or organization/template/preset',
        },
      ],
    );
  }
  const preset = parts[parts.length - 1] as string;
  const template = parts.length >= 2 ? (parts[parts.length - 2] as string) : null;
  const organization = parts.length === 3 ? (parts[0] as string) : null;
  const found = await findActivePresets(db, preset, template, organization);
  if (found.length === 0) throw notFound(`no preset "${ref}" on the active version of a template`);
  if (found.length > 1) {
    const where = found.map((row) => `${row.organization_name}/${row.template_name}/${row.name}`);
    throw new AppError(409, 'conflict', `preset "${ref}" is ambiguous: ${where.join(', ')}`, [
      { path: 'preset', message: 'name the template: template/preset' },
    ]);
  }
  return (found[0] as z.infer<typeof FoundPreset>).id;
}
