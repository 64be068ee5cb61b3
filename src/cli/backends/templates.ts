import type { TemplateConfig } from '../../templates/config-schema.js';
import { cliPrincipal } from '../principal.js';
import { approveExecCommand } from '../../templates/exec-approval.js';
import { listTemplates } from '../../templates/list.js';
import { planPush, type PushPlan, pushTemplate, type PushResult } from '../../templates/push.js';
import { withDatabase } from '../database.js';
import { ApiClient } from './http.js';
import { apiTarget } from './target.js';

export type TemplateList = Awaited<ReturnType<typeof listTemplates>>;

/** A config file as read (`text`) and as validated here (`config`). */
export interface TemplateFile {
  readonly text: string;
  readonly config: TemplateConfig;
}

/** `template push|list`, on the database or over the API (`validate` needs neither). */
export interface TemplatesClient {
  push(file: TemplateFile): Promise<PushResult>;
  plan(file: TemplateFile): Promise<PushPlan>;
  list(): Promise<TemplateList>;
}

function databaseTemplates(flags: Record<string, unknown>): TemplatesClient {
  // Whoever holds the database's credentials is an admin: a literal exec command may be pushed.
  const approved = (file: TemplateFile) => approveExecCommand(file.config, true);
  return {
    push: (file) =>
      withDatabase(flags, ({ pool }) =>
        pushTemplate(pool, approved(file), { pushedBy: cliPrincipal() }),
      ),
    plan: (file) => withDatabase(flags, ({ pool }) => planPush(pool, approved(file))),
    list: () => withDatabase(flags, ({ pool }) => listTemplates(pool, new Date())),
  };
}

/** The file's own text goes to the controller, which validates it again and decides as the push. */
function apiTemplates(api: ApiClient): TemplatesClient {
  const post = <T>(file: TemplateFile, dryRun: boolean) =>
    api.call<T>('POST', '/templates', {
      ...(dryRun ? { query: { dry_run: 'true' } } : {}),
      text: { body: file.text, contentType: 'application/yaml' },
    });
  return {
    push: async (file) => {
      const { body } = await post<Omit<PushResult, 'templateCreated'>>(file, false);
      // Versions count from v1 per template: a new v1 is a new template.
      return { ...body, templateCreated: body.changed && body.version.name === 'v1' };
    },
    plan: async (file) => (await post<{ plan: PushPlan }>(file, true)).body.plan,
    list: () => api.get<TemplateList>('/templates'),
  };
}

/** The templates client of a command: over HTTP with a URL, else on the database. */
export function templatesClient(flags: Record<string, unknown>): TemplatesClient {
  const target = apiTarget(flags);
  return target ? apiTemplates(new ApiClient(target, { dates: true })) : databaseTemplates(flags);
}
