import type { Transition } from '../../jobs/model.js';
import { findActivePresets } from '../../prebuilds/admin.js';
import type { CreateWorkspaceInput } from '../../prebuilds/create-request.js';
import { createdWorkspaceJson, createWorkspace } from '../../prebuilds/create-workspace.js';
import type { TemplateSummary } from '../../templates/list.js';
import { systemClock } from '../../util/clock.js';
import { createManualBuild } from '../../workspaces/builds.js';
import {
  extendDeadline,
  recordActivity,
  setAutostart,
  setDormant,
  setTtl,
} from '../../workspaces/schedule.js';
import { collectPages, type PageCursor } from '../../workspaces/page.js';
import {
  listWorkspaceViews,
  requireWorkspaceView,
  type WorkspaceFilters,
  type WorkspaceJson,
  workspaceJson,
} from '../../workspaces/view.js';
import { withDatabase } from '../database.js';
import { ApiClient, segment } from './http.js';
import { apiTarget } from './target.js';

export type CreatedJson = Awaited<ReturnType<typeof createdWorkspaceJson>>;
export type ManualBuild = Awaited<ReturnType<typeof createManualBuild>>;
export type ChangedWorkspace = WorkspaceJson & { readonly warnings?: readonly string[] };
export type Activity = Awaited<ReturnType<typeof recordActivity>>;

/** A preset on the active version of a template, as `claim` looks it up. */
export interface ActivePreset {
  readonly name: string;
  readonly template_name: string;
  readonly organization_name: string;
}

/** A schedule change: what the matching PUT /workspaces/:id/... takes. */
export type ScheduleChange =
  | { readonly autostart: string | null }
  | { readonly ttl_ms: number | null }
  | { readonly deadline: string }
  | { readonly dormant: boolean };

/** `workspaces *` and `claim`, on the database or over the API. */
export interface WorkspacesClient {
  /** Every matching workspace, or the first `max`, read a page at a time. */
  list(filters: WorkspaceFilters, max: number | null): Promise<readonly WorkspaceJson[]>;
  show(ref: string): Promise<WorkspaceJson>;
  build(ref: string, transition: Transition): Promise<ManualBuild>;
  change(ref: string, change: ScheduleChange): Promise<ChangedWorkspace>;
  activity(ref: string): Promise<Activity>;
  /** Claims a ready prebuild of the preset, or builds a new workspace. */
  create(input: CreateWorkspaceInput): Promise<CreatedJson>;
  presets(
    preset: string,
    template: string | null,
    organization: string | null,
  ): Promise<readonly ActivePreset[]>;
}

function databaseWorkspaces(flags: Record<string, unknown>): WorkspacesClient {
  const now = () => systemClock.now();
  return {
    list: async (filters, max) =>
      (
        await withDatabase(flags, ({ pool }) =>
          collectPages(
            (limit, after: PageCursor | null) =>
              listWorkspaceViews(pool, filters, { limit, after }),
            max,
          ),
        )
      ).map(workspaceJson),
    show: async (ref) =>
      workspaceJson(await withDatabase(flags, ({ pool }) => requireWorkspaceView(pool, ref))),
    build: (ref, transition) =>
      withDatabase(flags, ({ pool }) => createManualBuild(pool, ref, transition, now())),
    change: (ref, change) =>
      withDatabase(flags, ({ pool }) => {
        if ('autostart' in change) return setAutostart(pool, ref, change.autostart, now());
        if ('ttl_ms' in change) return setTtl(pool, ref, change.ttl_ms, now());
        if ('deadline' in change) return extendDeadline(pool, ref, change.deadline, now());
        return setDormant(pool, ref, change.dormant, now());
      }),
    activity: (ref) => withDatabase(flags, ({ pool }) => recordActivity(pool, ref, now())),
    create: (input) =>
      withDatabase(flags, async ({ pool }) =>
        createdWorkspaceJson(pool, await createWorkspace(pool, input, now())),
      ),
    presets: (preset, template, organization) =>
      withDatabase(flags, ({ pool }) => findActivePresets(pool, preset, template, organization)),
  };
}

function apiWorkspaces(api: ApiClient): WorkspacesClient {
  const path = (ref: string, what = '') => `/workspaces/${segment(ref)}${what}`;
  return {
    list: (filters, max) =>
      collectPages(async (limit, after: string | null) => {
        const page = await api.get<{ workspaces: WorkspaceJson[]; next_cursor: string | null }>(
          '/workspaces',
          {
            owner: filters.owner,
            template: filters.template,
            limit: String(limit),
            after: after ?? undefined,
          },
        );
        return { rows: page.workspaces, next: page.next_cursor };
      }, max),
    show: (ref) => api.get<WorkspaceJson>(path(ref)),
    build: (ref, transition) => api.send<ManualBuild>('POST', path(ref, '/builds'), { transition }),
    change: (ref, change) => {
      if ('autostart' in change) {
        return api.send<ChangedWorkspace>('PUT', path(ref, '/autostart'), {
          schedule: change.autostart,
        });
      }
      if ('ttl_ms' in change) return api.send('PUT', path(ref, '/ttl'), change);
      if ('deadline' in change) return api.send('PUT', path(ref, '/extend'), change);
      return api.send('PUT', path(ref, '/dormant'), change);
    },
    activity: (ref) => api.send<Activity>('POST', path(ref, '/activity')),
    create: (input) => api.send<CreatedJson>('POST', '/workspaces', input),
    presets: async (preset, template, organization) => {
      const { templates } = await api.get<{ templates: TemplateSummary[] }>('/templates');
      return templates.flatMap((t) =>
        (template === null || t.name === template) &&
        (organization === null || t.organization === organization)
          ? t.presets
              .filter((p) => p.name === preset)
              .map((p) => ({
                name: p.name,
                template_name: t.name,
                organization_name: t.organization,
              }))
          : [],
      );
    },
  };
}

/** The workspaces client of a command: over HTTP with a URL, else on the database. */
export function workspacesClient(flags: Record<string, unknown>): WorkspacesClient {
  const target = apiTarget(flags);
  return target ? apiWorkspaces(new ApiClient(target)) : databaseWorkspaces(flags);
}
