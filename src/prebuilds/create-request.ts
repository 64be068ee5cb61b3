import { z } from 'zod';

import { type Db, defineQuery } from '../db/sql-files.js';
import {
  nextAllowedAutostart,
  parseAutostartSchedule,
  validateAutostartSchedule,
  validateTtl,
} from '../domain/lifecycle/index.js';
import { matchPresetByParameters } from '../domain/prebuilds/match.js';
import { AppError, badRequest, conflict, type ErrorDetail } from '../http/errors.js';
import { PROVISIONER_TYPES, type ProvisionerType } from '../jobs/model.js';
import { type User, USER_STATUSES, UserRow } from '../users/users.js';

/** A request for a workspace (API body and CLI flags): claim a prebuild or build a new one. */
export interface CreateWorkspaceInput {
  /** User id or username. */
  readonly owner: string;
  /** Template name. */
  readonly template: string;
  /** Organization name, needed only when several organizations have the template name. */
  readonly organization?: string;
  /** Preset name on the template's active version. */
  readonly preset?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly name: string;
  /** null or absent = no autostart. */
  readonly autostart_schedule?: string | null;
  /** Absent = the template's default TTL; null = no autostop. */
  readonly ttl_ms?: number | null;
}

const PresetRow = z.object({
  id: z.string(),
  name: z.string(),
  is_default: z.boolean(),
  desired_instances: z.number().nullable(),
  parameters: z.record(z.string()),
});

const TemplateRow = z.object({
  id: z.string(),
  name: z.string(),
  organization_id: z.string(),
  organization_name: z.string(),
  active_version_id: z.string().nullable(),
  active_version_name: z.string().nullable(),
  active_version_provisioner: z.enum(PROVISIONER_TYPES).nullable(),
  active_version_tags: z.record(z.string()).nullable(),
  active_version_exec: z.unknown(),
  deprecated: z.string(),
  default_ttl: z.number(),
  allow_user_autostart: z.boolean(),
  allow_user_autostop: z.boolean(),
  autostart_block_days_of_week: z.number(),
  presets: z.array(PresetRow),
});

/** The owner's columns are null when no user matches. */
const ResolveRow = z.object({
  owner_id: z.string().nullable(),
  owner_username: z.string().nullable(),
  owner_email: z.string().nullable(),
  owner_status: z.enum(USER_STATUSES).nullable(),
  owner_roles: z.array(z.string()).nullable(),
  owner_is_system: z.boolean().nullable(),
  owner_created_at: z.date().nullable(),
  owner_updated_at: z.date().nullable(),
  name_taken: z.boolean(),
  templates: z.array(TemplateRow),
});
const resolveQuery = defineQuery<
  { owner: string; template: string; organization: string | null; name: string },
  typeof ResolveRow
>('ResolveWorkspaceCreate', ResolveRow, { prepared: true });

/** Workspace names, as the workspaces table checks them. */
export const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Everything the create transaction needs, checked. */
export interface ResolvedRequest {
  readonly owner: User;
  readonly template: {
    readonly id: string;
    readonly name: string;
    readonly organizationId: string;
    readonly organizationName: string;
    readonly versionId: string;
    readonly versionName: string;
    /** The active version's job settings, as enqueueWorkspaceBuild reads them. */
    readonly version: {
      readonly provisioner: ProvisionerType;
      readonly tags: Readonly<Record<string, string>>;
      /** config->'exec' as stored. */
      readonly exec: unknown;
    };
  };
  readonly preset: {
    readonly id: string;
    readonly name: string;
    /** The preset keeps a pool (a claim is worth trying). */
    readonly hasPrebuilds: boolean;
  } | null;
  readonly parameters: Readonly<Record<string, string>>;
  readonly name: string;
  readonly autostartSchedule: string | null;
  readonly nextStartAt: Date | null;
  readonly ttlMs: number | null;
}

const field = (path: string, message: string): ErrorDetail => ({ path, message });
const missing = (path: string, message: string) =>
  new AppError(404, 'not_found', `${path}: ${message}`, [field(path, message)]);
const invalid = (path: string, message: string) =>
  badRequest(`${path}: ${message}`, [field(path, message)]);

function resolveOwner(row: z.infer<typeof ResolveRow>, ref: string): User {
  const owner = row.owner_id === null ? null : ownerOf(row);
  if (!owner) throw missing('owner', `no user "${ref}"`);
  if (owner.is_system) throw invalid('owner', 'the prebuilds system user cannot own workspaces');
  if (owner.status === 'suspended') throw invalid('owner', `user ${owner.username} is suspended`);
  return owner;
}

function ownerOf(row: z.infer<typeof ResolveRow>): User {
  return UserRow.parse({
    id: row.owner_id,
    username: row.owner_username,
    email: row.owner_email,
    status: row.owner_status,
    roles: row.owner_roles,
    is_system: row.owner_is_system,
    created_at: row.owner_created_at,
    updated_at: row.owner_updated_at,
  });
}

function resolveTemplate(
  rows: readonly z.infer<typeof TemplateRow>[],
  input: CreateWorkspaceInput,
) {
  const where = input.organization ? ` in organization "${input.organization}"` : '';
  if (rows.length === 0) throw missing('template', `no template "${input.template}"${where}`);
  if (rows.length > 1) {
    const orgs = rows.map((row) => row.organization_name).join(', ');
    throw invalid('organization', `template "${input.template}" exists in ${orgs}: name one`);
  }
  const template = rows[0] as z.infer<typeof TemplateRow>;
  if (template.deprecated !== '') {
    throw invalid('template', `template ${template.name} is deprecated: ${template.deprecated}`);
  }
  if (
    !template.active_version_id ||
    !template.active_version_name ||
    !template.active_version_provisioner
  ) {
    throw invalid('template', `template ${template.name} has no active version`);
  }
  return {
    ...template,
    versionId: template.active_version_id,
    versionName: template.active_version_name,
    version: {
      provisioner: template.active_version_provisioner,
      tags: template.active_version_tags ?? {},
      exec: template.active_version_exec,
    },
  };
}

/**
 * The preset of the new workspace: the named one; else, with parameters, the one whose
 * parameters are the largest exact subset of them; else the version's default preset; else none.
 */
function choosePreset(
  presets: readonly z.infer<typeof PresetRow>[],
  input: CreateWorkspaceInput,
  template: { name: string; versionName: string },
) {
  if (input.preset !== undefined) {
    const named = presets.find((preset) => preset.name === input.preset);
    if (!named) {
      const known = presets.map((preset) => preset.name).join(', ') || 'none';
      throw missing(
        'preset',
        `no preset "${input.preset}" in template ${template.name} (version ${template.versionName}; presets: ${known})`,
      );
    }
    return named;
  }
  const candidates = presets.map((preset) => ({ ...preset, isDefault: preset.is_default }));
  if (input.parameters && Object.keys(input.parameters).length > 0) {
    return matchPresetByParameters(candidates, input.parameters);
  }
  return candidates.find((preset) => preset.isDefault) ?? null;
}

/** Checks a request and resolves its names; 400/404/409 naming the field when something is off. */
export async function resolveCreateRequest(
  db: Db,
  input: CreateWorkspaceInput,
  now: Date,
): Promise<ResolvedRequest> {
  if (!WORKSPACE_NAME.test(input.name)) {
    throw invalid(
      'name',
      'must be 1-64 letters, digits, "_" or "-", starting with a letter or digit',
    );
  }
  // One read for every check below, made in the order the checks report problems.
  const row = await resolveQuery.one(db, {
    owner: input.owner,
    template: input.template,
    organization: input.organization ?? null,
    name: input.name,
  });
  const owner = resolveOwner(row, input.owner);
  const template = resolveTemplate(row.templates, input);
  const preset = choosePreset(template.presets, input, template);

  const rules = {
    allowUserAutostart: template.allow_user_autostart,
    allowUserAutostop: template.allow_user_autostop,
    autostartBlockDaysOfWeek: template.autostart_block_days_of_week,
  };
  const autostart = validateAutostartSchedule(
    input.autostart_schedule ?? null,
    rules,
    'autostart_schedule',
  );
  if (!autostart.ok) throw badRequestOf(autostart.problems);
  const ttl =
    input.ttl_ms === undefined
      ? { ok: true as const, value: template.default_ttl > 0 ? template.default_ttl : null }
      : validateTtl(input.ttl_ms, rules, 'ttl_ms');
  if (!ttl.ok) throw badRequestOf(ttl.problems);

  if (row.name_taken) {
    throw conflict(`${owner.username} already has a workspace named "${input.name}"`, [
      field('name', 'is taken'),
    ]);
  }
  const schedule = autostart.value;
  return {
    owner,
    template: {
      id: template.id,
      name: template.name,
      organizationId: template.organization_id,
      organizationName: template.organization_name,
      versionId: template.versionId,
      versionName: template.versionName,
      version: template.version,
    },
    preset: preset
      ? { id: preset.id, name: preset.name, hasPrebuilds: preset.desired_instances !== null }
      : null,
    parameters: input.parameters ?? {},
    name: input.name,
    autostartSchedule: schedule,
    nextStartAt: schedule
      ? nextAllowedAutostart(parseAutostartSchedule(schedule), now, rules)
      : null,
    ttlMs: ttl.value,
  };
}

function badRequestOf(problems: readonly { field: string; reason: string }[]): AppError {
  return badRequest(
    problems.map((p) => `${p.field}: ${p.reason}`).join('; '),
    problems.map((p) => field(p.field, p.reason)),
  );
}
