import type { DatabasePool } from 'slonik';

import { CHANNELS } from '../db/channels.js';
import { advisoryXactLock, lockKey } from '../db/locks.js';
import type { Db } from '../db/sql-files.js';
import { withTransaction } from '../db/tx.js';
import type { TemplateConfig } from './config-schema.js';
import { describeChanges } from './diff.js';
import { contentHash, templateRows } from './mapping.js';
import {
  activateVersion,
  findOrganization,
  findTemplate,
  insertOrganization,
  insertParameters,
  insertPresets,
  insertSchedules,
  insertTemplate,
  insertVersion,
  notify,
} from './store.js';

export interface PushedVersion {
  readonly id: string;
  readonly name: string;
  readonly content_hash: string;
  readonly created_at: Date;
  /** Who pushed it: the API token's name, `cli:<user>`; null = not recorded (before tokens). */
  readonly pushed_by: string | null;
}

export interface PushOptions {
  /** Recorded on a new version (see PushedVersion.pushed_by). */
  readonly pushedBy?: string;
}

export interface PushResult {
  /** false: the content equals the active version's, nothing was written. */
  readonly changed: boolean;
  readonly templateCreated: boolean;
  readonly template: {
    readonly id: string;
    readonly name: string;
    readonly organization: string;
    readonly active_version_id: string;
  };
  readonly version: PushedVersion;
}

/** Pushes of one template queue behind each other; different templates never wait. */
export function templateLockKey(organization: string, name: string): bigint {
  return lockKey(`prebuild-controller:template:${organization}/${name}`);
}

async function organizationId(tx: Db, name: string): Promise<string> {
  const found = await findOrganization.maybeOne(tx, { name });
  if (found) return found.id;
  const inserted = await insertOrganization.maybeOne(tx, { name });
  // A concurrent push created it after our lookup: it is visible to the next statement.
  return inserted?.id ?? (await findOrganization.one(tx, { name })).id;
}

/**
 * Stores a validated config as the template's new active version, in one transaction: the
 * template (created if new, its settings updated), the version with its presets, parameters and
 * schedules, and a NOTIFY that reaches the reconciler at commit. Content identical to the active
 * version's writes nothing. Concurrent pushes of one template are serialized by an advisory lock
 * taken first, so they never race to create duplicate versions.
 */
export async function pushTemplate(
  db: DatabasePool,
  config: TemplateConfig,
  options: PushOptions = {},
): Promise<PushResult> {
  const rows = templateRows(config);
  const hash = contentHash(config);
  return withTransaction(db, {}, async (tx) => {
    await advisoryXactLock(tx, templateLockKey(rows.organization, rows.name));
    const orgId = await organizationId(tx, rows.organization);
    const existing = await findTemplate.maybeOne(tx, { organization_id: orgId, name: rows.name });
    const template = {
      name: rows.name,
      organization: rows.organization,
    };
    if (
      existing?.active_version_id &&
      existing.active_content_hash === hash &&
      existing.active_version_name &&
      existing.active_created_at
    ) {
      return {
        changed: false,
        templateCreated: false,
        template: { ...template, id: existing.id, active_version_id: existing.active_version_id },
        version: {
          id: existing.active_version_id,
          name: existing.active_version_name,
          content_hash: hash,
          created_at: existing.active_created_at,
          pushed_by: existing.active_pushed_by,
        },
      };
    }
    const templateId =
      existing?.id ??
      (
        await insertTemplate.one(tx, {
          organization_id: orgId,
          name: rows.name,
          provisioner: rows.settings.provisioner,
        })
      ).id;
    const version = await insertVersion.one(tx, {
      template_id: templateId,
      organization_id: orgId,
      name: `v${existing?.next_version_number ?? 1}`,
      config,
      content_hash: hash,
      provisioner: rows.settings.provisioner,
      tags: rows.tags,
      pushed_by: options.pushedBy ?? null,
    });
    if (rows.presets.length > 0) {
      await insertPresets.exec(tx, {
        version_id: version.id,
        presets: JSON.stringify(rows.presets),
      });
    }
    if (rows.parameters.length > 0) {
      await insertParameters.exec(tx, {
        version_id: version.id,
        parameters: JSON.stringify(rows.parameters),
      });
    }
    if (rows.schedules.length > 0) {
      await insertSchedules.exec(tx, {
        version_id: version.id,
        schedules: JSON.stringify(rows.schedules),
      });
    }
    await activateVersion.one(tx, {
      template_id: templateId,
      version_id: version.id,
      ...rows.settings,
    });
    await notify.exec(tx, {
      channel: CHANNELS.reconcile,
      payload: JSON.stringify({
        reason: 'template_pushed',
        template_id: templateId,
        version_id: version.id,
      }),
    });
    return {
      changed: true,
      templateCreated: existing === null,
      template: { ...template, id: templateId, active_version_id: version.id },
      version,
    };
  });
}

export interface PushPlan {
  readonly action: 'create' | 'update' | 'unchanged';
  readonly organization: string;
  readonly organizationExists: boolean;
  readonly template: string;
  /** The version a push would create, or the active one when unchanged. */
  readonly version: string;
  readonly content_hash: string;
  /** What differs from the active version, one line each. */
  readonly changes: readonly string[];
}

/** What `pushTemplate` would do, read-only (for --dry-run). */
export async function planPush(db: DatabasePool, config: TemplateConfig): Promise<PushPlan> {
  const rows = templateRows(config);
  const hash = contentHash(config);
  return withTransaction(db, { readOnly: true }, async (tx) => {
    const org = await findOrganization.maybeOne(tx, { name: rows.organization });
    const existing = org
      ? await findTemplate.maybeOne(tx, { organization_id: org.id, name: rows.name })
      : null;
    const base = {
      organization: rows.organization,
      organizationExists: org !== null,
      template: rows.name,
      content_hash: hash,
    };
    if (!existing) {
      return { ...base, action: 'create', version: 'v1', changes: describeChanges(null, config) };
    }
    if (existing.active_content_hash === hash && existing.active_version_name) {
      return { ...base, action: 'unchanged', version: existing.active_version_name, changes: [] };
    }
    return {
      ...base,
      action: 'update',
      version: `v${existing.next_version_number}`,
      changes: describeChanges(existing.active_config, config),
    };
  });
}
