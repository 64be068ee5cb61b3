import { z } from 'zod';

import { defineQuery, type Db } from '../db/sql-files.js';

const CountersRow = z.object({
  template_name: z.string(),
  preset_name: z.string(),
  organization_name: z.string(),
  created: z.number(),
  failed: z.number(),
  claimed: z.number(),
});

const countersQuery = defineQuery<Record<string, never>, typeof CountersRow>(
  'GetPrebuildMetricsCounters',
  CountersRow,
);

export interface PrebuildCounters {
  readonly templateName: string;
  readonly presetName: string;
  readonly organizationName: string;
  /** Prebuild creation builds ever started. */
  readonly created: number;
  /** Of those, the ones whose job failed. */
  readonly failed: number;
  /** Of those, the ones whose workspace now belongs to a user (deleted ones included). */
  readonly claimed: number;
}

/** Lifetime created/failed/claimed totals per template, preset and organization name. */
export async function loadPrebuildCounters(db: Db): Promise<PrebuildCounters[]> {
  const rows = await countersQuery.any(db, {});
  return rows.map((row) => ({
    templateName: row.template_name,
    presetName: row.preset_name,
    organizationName: row.organization_name,
    created: row.created,
    failed: row.failed,
    claimed: row.claimed,
  }));
}
