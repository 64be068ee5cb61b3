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
import { findUser, type User } from '../users/users.js';

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

const TemplateRow = z.object({
  id: z.string(),
  name: z.string(),
  organization_id: z.string(),
  organization_name: z.string(),
  active_version_id: z.string().nullable(),
  active_version_name: z.string().nullable(),
  deprecated: z.string(),
  default_ttl: z.number(),
  allow_user_autostart: z.boolean(),
  allow_user_autostop: z.boolean(),
  autostart_block_days_of_week: z.number(),
});
const getTemplate = defineQuery<{ name: string; organization: string | null }, typeof TemplateRow>(
  'GetTemplateForWorkspaceCreate',
  TemplateRow,
);

const PresetRow = z.object({
  id: z.string(),
  name: z.string(),
  is_default: z.boolean(),
  desired_instances: z.number().nullable(),
  parameters: z.record(z.string()),
});
const getPresets = defineQuery<{ version_id: string }, typeof PresetRow>(
  'GetVersionPresetsForWorkspaceCreate',
  PresetRow,
);

const Taken = z.object({ taken: z.boolean() });
const nameTaken = defineQuery<{ owner_id: string; name: string }, typeof Taken>(
  'WorkspaceNameTaken',
  Taken,
);

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

async function resolveOwner(db: Db, ref: string): Promise<User> {
  const owner = await findUser(db, ref);
  if (!owner) throw missing('owner', `no user "${ref}"`);
  if (owner.is_system) throw invalid('owner', 'the prebuilds system user cannot own workspaces');
  if (owner.status === 'suspended') throw invalid('owner', `user ${owner.username} is suspended`);
  return owner;
}

async function resolveTemplate(db: Db, input: CreateWorkspaceInput) {
  const rows = await getTemplate.any(db, {
    name: input.template,
    organization: input.organization ?? null,
  });
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
  if (!template.active_version_id || !template.active_version_name) {
    throw invalid('template', `template ${template.name} has no active version`);
  }
  return {
    ...template,
    versionId: template.active_version_id,
    versionName: template.active_version_name,
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
  const owner = await resolveOwner(db, input.owner);
  const template = await resolveTemplate(db, input);
  const presets = await getPresets.any(db, { version_id: template.versionId });
  const preset = choosePreset(presets, input, template);

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

  if ((await nameTaken.one(db, { owner_id: owner.id, name: input.name })).taken) {
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
