import {
  arrayOf,
  boolean,
  component,
  dateTime,
  describe,
  enumOf,
  integer,
  nullable,
  object,
  ref,
  string,
  uuid,
} from '../http/schema.js';
import { BUILD_REASONS, TRANSITIONS } from '../jobs/model.js';

export const JOB_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'canceling',
  'canceled',
  'failed',
] as const;

const buildFields = {
  id: uuid,
  build_number: integer,
  transition: enumOf(TRANSITIONS),
  reason: enumOf(BUILD_REASONS),
  status: describe(enumOf(JOB_STATUSES), "the build's provisioner job status"),
  job_id: uuid,
  deadline: describe(nullable(dateTime), 'autostop instant; null = none'),
  max_deadline: nullable(dateTime),
  template_version_id: uuid,
  preset_id: nullable(uuid),
  created_at: dateTime,
};

export const LatestBuild = object(buildFields);

const workspaceFields = {
  id: uuid,
  name: string,
  owner_id: uuid,
  owner: describe(string, "the owner's username"),
  template_id: uuid,
  template: string,
  organization: string,
  autostart_schedule: describe(nullable(string), 'weekly cron with an optional CRON_TZ= prefix'),
  next_start_at: nullable(dateTime),
  ttl_ms: describe(nullable(integer), 'autostop after a start; null = none'),
  last_used_at: dateTime,
  dormant_at: nullable(dateTime),
  deleting_at: nullable(dateTime),
  automatic_updates: enumOf(['always', 'never']),
  deleted: boolean,
  created_at: dateTime,
  latest_build: describe(nullable(LatestBuild), 'null before the first build'),
};

export const WorkspaceJson = component('Workspace', object(workspaceFields));
export const WorkspaceList = object({
  workspaces: arrayOf(ref(WorkspaceJson)),
  next_cursor: describe(
    nullable(string),
    'pass as `after` for the next page; null on the last page',
  ),
});

/** PUT .../autostart: the workspace, and warnings about the schedule (blocked days). */
export const WorkspaceWithWarnings = object({ ...workspaceFields, warnings: arrayOf(string) });
/** POST .../activity: the workspace, and whether the deadline moved. */
export const WorkspaceWithBump = object({ ...workspaceFields, bumped: boolean });

/** POST .../builds: the new build. */
export const ManualBuild = object({ workspace_id: uuid, ...buildFields });

/** POST /workspaces: a claimed prebuild or a new workspace, with its first build. */
export const CreatedWorkspace = object({
  workspace: object({
    ...workspaceFields,
    template_version_id: uuid,
    template_version_name: string,
    preset_id: nullable(uuid),
    preset_name: nullable(string),
  }),
  claimed: describe(boolean, 'true: a ready prebuild was handed over'),
  build: object({ ...buildFields, initiator_id: uuid, job_status: enumOf(JOB_STATUSES) }),
});
