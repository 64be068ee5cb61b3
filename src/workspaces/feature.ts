import type { FeatureFactory } from '../service/controller.js';
import { workspaceRoutes } from './routes.js';

/** The workspace API (list, show, builds, schedule); the lifecycle executor is lifecycleFeature. */
export const workspacesFeature: FeatureFactory = (context) => ({
  api: [workspaceRoutes({ db: context.pool, clock: context.clock })],
});
