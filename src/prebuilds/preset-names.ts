import { z } from 'zod';

import { defineQuery, type Db } from '../db/sql-files.js';

const PresetNamesRow = z.object({
  template_name: z.string(),
  preset_name: z.string(),
  organization_name: z.string(),
});

const presetNamesQuery = defineQuery<Record<string, never>, typeof PresetNamesRow>(
  'GetActivePresetNames',
  PresetNamesRow,
);

export interface PresetNames {
  readonly template_name: string;
  readonly preset_name: string;
  readonly organization_name: string;
}

/**
 * The label names of every preset of an active template version (with or without prebuilds),
 * for the per-preset counters created at 0 before their first event.
 */
export async function loadActivePresetNames(db: Db): Promise<PresetNames[]> {
  const rows = await presetNamesQuery.any(db, {});
  return rows.map((row) => ({
    template_name: row.template_name,
    preset_name: row.preset_name,
    organization_name: row.organization_name,
  }));
}
