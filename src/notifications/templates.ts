import { z } from 'zod';

/**
 * Notification templates: what each one's payload holds (validated when enqueued, so a bad payload
 * fails at the caller, not at delivery) and how it renders. Payloads hold facts (names, ISO
 * instants), never phrases relative to "now", so identical events dedupe; relative wording
 * ("in 30 minutes") is rendered at delivery time.
 */

const id = z.string().uuid();
const name = z.string().min(1);
const instant = z.string().datetime({ offset: true });

const workspaceFields = { workspace_id: id, workspace: name };

export const TEMPLATES = {
  autostop_reminder: z.object({ ...workspaceFields, deadline: instant }).strict(),
  workspace_dormant: z
    .object({ ...workspaceFields, reason: name, deleting_at: instant.nullable().optional() })
    .strict(),
  workspace_marked_for_deletion: z
    .object({ ...workspaceFields, reason: name, deleting_at: instant })
    .strict(),
  workspace_deleted: z.object({ ...workspaceFields, reason: name, initiator: name }).strict(),
  workspace_autobuild_failed: z
    .object({
      ...workspaceFields,
      reason: name,
      transition: z.enum(['start', 'stop', 'delete']),
      // Distinguishes two failures of the same workspace on one day (they would dedupe otherwise).
      build_number: z.number().int().positive().optional(),
      error: z.string().optional(),
    })
    .strict(),
  workspace_auto_updated: z
    .object({
      ...workspaceFields,
      template_version: name,
      template_version_message: z.string().optional(),
      reason: name,
    })
    .strict(),
  prebuild_preset_hard_limited: z
    .object({
      template: name,
      preset: name,
      organization: name.optional(),
      template_version: name.optional(),
      failed_builds: z.number().int().nonnegative(),
    })
    .strict(),
  prebuild_delete_given_up: z
    .object({
      template: name,
      preset: name,
      ...workspaceFields,
      failed_deletes: z.number().int().positive(),
    })
    .strict(),
} as const;

export type TemplateName = keyof typeof TEMPLATES;
export type TemplatePayload<T extends TemplateName> = z.infer<(typeof TEMPLATES)[T]>;

export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as TemplateName[];

export function isTemplateName(value: string): value is TemplateName {
  return Object.hasOwn(TEMPLATES, value);
}

/** A payload that does not fit its template; `path` names the field. */
export class NotificationPayloadError extends Error {
  override readonly name = 'NotificationPayloadError';
  constructor(
    readonly template: string,
    readonly problems: readonly { path: string; message: string }[],
  ) {
    super(
      `notification "${template}": ${problems.map((p) => `${p.path || '(payload)'}: ${p.message}`).join('; ')}`,
    );
  }
}

export function validatePayload(template: string, payload: unknown): Record<string, unknown> {
  if (!isTemplateName(template)) {
    throw new NotificationPayloadError(template, [
      { path: 'template', message: `unknown template (known: ${TEMPLATE_NAMES.join(', ')})` },
    ]);
  }
  const parsed = TEMPLATES[template].safeParse(payload);
  if (!parsed.success) {
    throw new NotificationPayloadError(
      template,
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  return parsed.data;
}

export interface Rendered {
  readonly title: string;
  readonly body: string;
}

function when(iso: string, now: Date): string {
  const at = new Date(iso);
  const stamp = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const minutes = Math.round((at.getTime() - now.getTime()) / 60_000);
  if (minutes < 0) return `at ${stamp}`;
  if (minutes < 1) return `at ${stamp} (in less than a minute)`;
  if (minutes < 120) return `at ${stamp} (in ${minutes} minute${minutes === 1 ? '' : 's'})`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `at ${stamp} (in ${hours} hours)`;
  return `at ${stamp} (in ${Math.round(hours / 24)} days)`;
}

type Renderers = { [T in TemplateName]: (p: TemplatePayload<T>, now: Date) => Rendered };

const RENDERERS: Renderers = {
  autostop_reminder: (p, now) => ({
    title: `Workspace "${p.workspace}" will stop soon`,
    body: `Your workspace "${p.workspace}" will stop automatically ${when(p.deadline, now)}. Use it or extend its deadline to keep it running.`,
  }),
  workspace_dormant: (p, now) => ({
    title: `Workspace "${p.workspace}" is dormant`,
    body:
      `Your workspace "${p.workspace}" was marked dormant because ${p.reason}.` +
      (p.deleting_at ? ` It will be deleted ${when(p.deleting_at, now)} unless you use it.` : ''),
  }),
  workspace_marked_for_deletion: (p, now) => ({
    title: `Workspace "${p.workspace}" is marked for deletion`,
    body: `Your workspace "${p.workspace}" will be deleted ${when(p.deleting_at, now)} because ${p.reason}.`,
  }),
  workspace_deleted: (p) => ({
    title: `Workspace "${p.workspace}" was deleted`,
    body: `Your workspace "${p.workspace}" was deleted by ${p.initiator}: ${p.reason}.`,
  }),
  workspace_autobuild_failed: (p) => ({
    title: `Automatic ${p.transition} of workspace "${p.workspace}" failed`,
    body:
      `The ${p.reason} build (${p.transition}) of your workspace "${p.workspace}" failed.` +
      (p.error ? ` Error: ${p.error}` : ''),
  }),
  workspace_auto_updated: (p) => ({
    title: `Workspace "${p.workspace}" was updated to ${p.template_version}`,
    body:
      `Your workspace "${p.workspace}" was updated to template version ${p.template_version} on ${p.reason}.` +
      (p.template_version_message ? ` Version notes: ${p.template_version_message}` : ''),
  }),
  prebuild_preset_hard_limited: (p) => ({
    title: `Prebuilds of preset "${p.preset}" stopped after repeated failures`,
    body:
      `The last ${p.failed_builds} prebuild builds of preset "${p.preset}" of template "${p.template}"` +
      (p.template_version ? ` (version ${p.template_version})` : '') +
      ` failed, so no more prebuilds are created for it. Fix the template and push a new version, or reset the preset.`,
  }),
  prebuild_delete_given_up: (p) => ({
    title: `Prebuilt workspace "${p.workspace}" could not be deleted`,
    body:
      `Deleting prebuilt workspace "${p.workspace}" of preset "${p.preset}" of template "${p.template}" failed ${p.failed_deletes} times in a row, so it is no longer retried.` +
      ` Look at its last delete build, fix the cause, and delete it by hand.`,
  }),
};

/** Title and body of a stored message; an unknown template or payload renders generically. */
export function renderNotification(template: string, payload: unknown, now: Date): Rendered {
  if (isTemplateName(template)) {
    const parsed = TEMPLATES[template].safeParse(payload);
    if (parsed.success) {
      const render = RENDERERS[template] as (p: unknown, now: Date) => Rendered;
      return render(parsed.data, now);
    }
  }
  return { title: `Notification: ${template}`, body: JSON.stringify(payload) };
}
