import { z } from 'zod';

import { type Db, defineQuery } from '../db/sql-files.js';
import { notFound } from '../http/errors.js';
import type { Page, PageRequest } from './page.js';

/**
 * A workspace as the API and CLI show it, and the one place that reads and serializes it (the
 * workspace list, show, every schedule change, and workspace creation/claim all answer with
 * `workspaceJson`). Rows come from sql/workspaces/view.sql.
 */

export const WorkspaceViewRow = z.object({
  id: z.string(),
  name: z.string(),
  owner_id: z.string(),
  owner: z.string(),
  template_id: z.string(),
  template: z.string(),
  organization_id: z.string(),
  organization: z.string(),
  autostart_schedule: z.string().nullable(),
  next_start_at: z.date().nullable(),
  ttl_ms: z.number().nullable(),
  last_used_at: z.date(),
  dormant_at: z.date().nullable(),
  deleting_at: z.date().nullable(),
  deleted: z.boolean(),
  automatic_updates: z.string(),
  created_at: z.date(),
  // Template options the schedule API checks (not part of the JSON).
  allow_user_autostart: z.boolean(),
  allow_user_autostop: z.boolean(),
  autostart_block_days_of_week: z.number(),
  require_active_version: z.boolean(),
  active_version_id: z.string().nullable(),
  // The latest build (all null before the first build).
  build_id: z.string().nullable(),
  build_number: z.number().nullable(),
  build_transition: z.string().nullable(),
  build_reason: z.string().nullable(),
  build_status: z.string().nullable(),
  build_job_id: z.string().nullable(),
  build_deadline: z.date().nullable(),
  build_max_deadline: z.date().nullable(),
  build_template_version_id: z.string().nullable(),
  build_preset_id: z.string().nullable(),
  build_created_at: z.date().nullable(),
});
export type WorkspaceViewRow = z.infer<typeof WorkspaceViewRow>;

const listQuery = defineQuery<
  {
    owner: string | null;
    template: string | null;
    after_owner: string | null;
    after_name: string | null;
    limit: number;
  },
  typeof WorkspaceViewRow
>('WorkspaceViews', WorkspaceViewRow);

const byIdQuery = defineQuery<{ id: string }, typeof WorkspaceViewRow>(
  'WorkspaceViewById',
  WorkspaceViewRow,
);

const byOwnerAndName = defineQuery<
  { owner: string; name: string },
  z.ZodObject<{ id: z.ZodString }>
>('WorkspaceIdByOwnerAndName', z.object({ id: z.string() }));

export interface WorkspaceFilters {
  /** Owner id or username. */
  readonly owner?: string;
  /** Template id or name. */
  readonly template?: string;
}

/**
 * One page of non-deleted workspaces (prebuilt ones included), by owner then name (ignoring case). One row more
 * than the page is read to learn whether another page follows.
 */
export async function listWorkspaceViews(
  db: Db,
  filters: WorkspaceFilters,
  page: PageRequest,
): Promise<Page<WorkspaceViewRow>> {
  const rows = await listQuery.any(db, {
    owner: filters.owner ?? null,
    template: filters.template ?? null,
    after_owner: page.after?.owner ?? null,
    after_name: page.after?.name ?? null,
    limit: page.limit + 1,
  });
  if (rows.length <= page.limit) return { rows, next: null };
  const shown = rows.slice(0, page.limit);
  const last = shown[shown.length - 1]!;
  return { rows: shown, next: { owner: last.owner, name: last.name } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A workspace by id (deleted ones too) or by "owner/name" (non-deleted); null when there is none.
 * Anything else (a bare name, a malformed id) finds nothing.
 */
export async function findWorkspaceView(db: Db, ref: string): Promise<WorkspaceViewRow | null> {
  if (UUID.test(ref)) return byIdQuery.maybeOne(db, { id: ref });
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1) return null;
  const found = await byOwnerAndName.maybeOne(db, {
    owner: ref.slice(0, slash),
    name: ref.slice(slash + 1),
  });
  return found ? byIdQuery.maybeOne(db, { id: found.id }) : null;
}

/** findWorkspaceView, or a 404 naming the reference. */
export async function requireWorkspaceView(db: Db, ref: string): Promise<WorkspaceViewRow> {
  const view = await findWorkspaceView(db, ref);
  if (!view) throw notFound(`workspace "${ref}" not found (use its id, or owner/name)`);
  return view;
}

const iso = (at: Date | null) => (at ? at.toISOString() : null);

/** The latest build's JSON, or null before the first build. */
export function latestBuildJson(row: WorkspaceViewRow) {
  if (row.build_id === null) return null;
  return {
    id: row.build_id,
    build_number: row.build_number,
    transition: row.build_transition,
    reason: row.build_reason,
    /** The build's provisioner job status (pending, running, succeeded, failed, ...). */
    status: row.build_status,
    job_id: row.build_job_id,
    deadline: iso(row.build_deadline),
    max_deadline: iso(row.build_max_deadline),
    template_version_id: row.build_template_version_id,
    preset_id: row.build_preset_id,
    created_at: iso(row.build_created_at),
  };
}

export type WorkspaceJson = ReturnType<typeof workspaceJson>;

/** The API and --json shape of a workspace. */
export function workspaceJson(row: WorkspaceViewRow) {
  return {
    id: row.id,
    name: row.name,
    owner_id: row.owner_id,
    owner: row.owner,
    template_id: row.template_id,
    template: row.template,
    organization: row.organization,
    autostart_schedule: row.autostart_schedule,
    next_start_at: iso(row.next_start_at),
    ttl_ms: row.ttl_ms,
    last_used_at: iso(row.last_used_at),
    dormant_at: iso(row.dormant_at),
    deleting_at: iso(row.deleting_at),
    automatic_updates: row.automatic_updates,
    deleted: row.deleted,
    created_at: iso(row.created_at),
    latest_build: latestBuildJson(row),
  };
}
