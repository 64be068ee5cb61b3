import { z } from 'zod';

import { defineQuery } from '../db/sql-files.js';
import { type BuildJobInput, JobRow, PROVISIONER_TYPES } from './model.js';

/** The statements of enqueueWorkspaceBuild (sql/jobs/enqueue.sql) and their row shapes. */

export const BuildRow = z.object({
  id: z.string(),
  created_at: z.date(),
  updated_at: z.date(),
  workspace_id: z.string(),
  template_version_id: z.string(),
  build_number: z.number(),
  transition: z.string(),
  initiator_id: z.string(),
  job_id: z.string(),
  reason: z.string(),
  template_version_preset_id: z.string().nullable(),
  deadline: z.date().nullable(),
  max_deadline: z.date().nullable(),
});
export type BuildRow = z.infer<typeof BuildRow>;

const Target = z.object({
  workspace_id: z.string(),
  workspace_name: z.string(),
  deleted: z.boolean(),
  organization_id: z.string(),
  owner_id: z.string(),
  owner_name: z.string(),
  template_id: z.string(),
  template_name: z.string(),
  template_provisioner: z.string(),
  active_version_id: z.string().nullable(),
  latest_build_id: z.string().nullable(),
  latest_build_number: z.number().nullable(),
  latest_version_id: z.string().nullable(),
  latest_preset_id: z.string().nullable(),
  latest_job_id: z.string().nullable(),
  latest_job_status: z.string().nullable(),
});
export const getTarget = defineQuery<{ workspace_id: string }, typeof Target>(
  'EnqueueGetTarget',
  Target,
);

const Version = z.object({
  id: z.string(),
  name: z.string(),
  template_id: z.string(),
  provisioner: z.enum(PROVISIONER_TYPES),
  tags: z.record(z.string()),
  exec: z.unknown(),
});
export const getVersion = defineQuery<{ version_id: string }, typeof Version>(
  'EnqueueGetVersion',
  Version,
);

const Preset = z.object({ id: z.string(), name: z.string(), template_version_id: z.string() });
export const getPreset = defineQuery<{ preset_id: string }, typeof Preset>(
  'EnqueueGetPreset',
  Preset,
);

const Parameter = z.object({ name: z.string(), value: z.string() });
export const getBaseParameters = defineQuery<
  { previous_build_id: string | null; preset_id: string | null },
  typeof Parameter
>('EnqueueGetBaseParameters', Parameter);

export const insertJob = defineQuery<
  {
    id: string;
    now: Date;
    organization_id: string;
    initiator_id: string;
    provisioner: string;
    input: BuildJobInput;
    tags: Record<string, string>;
  },
  typeof JobRow
>('EnqueueInsertJob', JobRow);

export const insertBuild = defineQuery<
  {
    id: string;
    now: Date;
    workspace_id: string;
    version_id: string;
    build_number: number;
    transition: string;
    initiator_id: string;
    job_id: string;
    reason: string;
    preset_id: string | null;
  },
  typeof BuildRow
>('EnqueueInsertBuild', BuildRow);

export const insertParameters = defineQuery<{
  build_id: string;
  names: string[];
  values: string[];
}>('EnqueueInsertParameters', z.object({}));
