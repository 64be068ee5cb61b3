import { jobsFeature } from '../jobs/feature.js';
import { lifecycleFeature } from '../lifecycle/feature.js';
import { notificationsFeature } from '../notifications/feature.js';
import { prebuildsFeature } from '../prebuilds/feature.js';
import { templatesFeature } from '../templates/feature.js';
import { usersFeature } from '../users/routes.js';
import { workspacesFeature } from '../workspaces/feature.js';
import type { FeatureFactory } from './controller.js';

/** Every feature `run` hosts, in start order. */
export const FEATURES: readonly FeatureFactory[] = [
  usersFeature,
  templatesFeature,
  jobsFeature,
  notificationsFeature,
  prebuildsFeature,
  lifecycleFeature,
  workspacesFeature,
];
