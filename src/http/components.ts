import { JobJson } from '../jobs/api-schemas.js';
import { UserJson } from '../users/api-schemas.js';
import { WorkspaceJson } from '../workspaces/api-schemas.js';
import { ErrorBody, type JsonSchema } from './schema.js';

/**
 * The shared response schemas (`component()`): buildApp registers them before the routes, so
 * `ref()`s resolve, and the OpenAPI document lists each once under components.schemas.
 */
export const COMPONENTS: readonly JsonSchema[] = [ErrorBody, WorkspaceJson, JobJson, UserJson];
