import type { FeatureFactory } from '../service/controller.js';
import { templateRoutes } from './routes.js';

/** Template push and listing over the API (the CLI talks to the database directly). */
export const templatesFeature: FeatureFactory = (context) => ({
  api: [templateRoutes({ pool: context.pool, clock: context.clock, logger: context.logger })],
});
