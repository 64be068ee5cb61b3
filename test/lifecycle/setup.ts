import type { Db } from '../../src/db/sql-files.js';
import {
  createBuild,
  createTemplate,
  createTemplateVersion,
  createUser,
  createWorkspace,
  type TemplateInput,
  type WorkspaceInput,
  type BuildInput,
} from '../helpers/fixtures.js';

export interface LifecycleFixture {
  readonly templateId: string;
  readonly versionId: string;
  readonly ownerId: string;
  readonly workspaceId: string;
  readonly buildId: string;
  readonly jobId: string;
}

/** A user's workspace on its own template with one build (a running start by default). */
export async function lifecycleWorkspace(
  db: Db,
  options: {
    template?: TemplateInput;
    workspace?: Partial<WorkspaceInput>;
    build?: Partial<BuildInput>;
    ownerId?: string;
  } = {},
): Promise<LifecycleFixture> {
  const templateId = await createTemplate(db, options.template);
  const versionId = await createTemplateVersion(db, { templateId });
  const ownerId = options.ownerId ?? (await createUser(db));
  const workspaceId = await createWorkspace(db, { ownerId, templateId, ...options.workspace });
  const { buildId, jobId } = await createBuild(db, {
    workspaceId,
    versionId,
    initiatorId: ownerId,
    ...options.build,
  });
  return { templateId, versionId, ownerId, workspaceId, buildId, jobId };
}
