import { notificationsFeature } from '../notifications/feature.js';
import type { FeatureFactory } from './controller.js';

/** Every feature `run` hosts, in start order. */
export const FEATURES: readonly FeatureFactory[] = [notificationsFeature];
