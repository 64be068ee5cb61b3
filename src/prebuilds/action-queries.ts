import { z } from 'zod';

import { defineQuery } from '../db/sql-files.js';

// Typed handles of sql/prebuilds/actions.sql: the reconciler's writes.

const InsertedPrebuild = z.object({ id: z.string(), name: z.string(), template_id: z.string() });
export const insertPrebuildWorkspace = defineQuery<
  { name: string; preset_id: string; now: Date },
  typeof InsertedPrebuild
>('InsertPrebuildWorkspace', InsertedPrebuild);

const Canceled = z.object({ canceled: z.number(), deleted: z.number() });
export const cancelPendingPrebuildCreations = defineQuery<
  { preset_id: string; now: Date },
  typeof Canceled
>('CancelPendingPrebuildCreations', Canceled);

const StatusChanged = z.object({
  id: z.string(),
  name: z.string(),
  template_id: z.string(),
  template_name: z.string(),
  template_version_name: z.string(),
  organization_id: z.string(),
  organization_name: z.string(),
});
export type StatusChanged = z.infer<typeof StatusChanged>;
export const setPresetPrebuildStatus = defineQuery<
  {
    preset_id: string;
    status: string;
    expected: string;
    seen_reset_at: Date | null;
    now: Date;
  },
  typeof StatusChanged
>('SetPresetPrebuildStatus', StatusChanged);

const Admin = z.object({ id: z.string() });
export const listTemplateAdmins = defineQuery<Record<string, never>, typeof Admin>(
  'ListTemplateAdmins',
  Admin,
);
