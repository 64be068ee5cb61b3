import type { FeatureFactory } from '../service/controller.js';
import { workspaceCreateRoute } from './claim-routes.js';
import { CountersCache } from './counters-cache.js';
import { recordDecisionSettings } from './decision-settings.js';
import { prebuildMetricsFor } from './metrics.js';
import { prebuildOptionsFromConfig } from './options.js';
import { PrebuildReconciler } from './reconciler.js';
import { presetRoutes } from './routes.js';
import { StateViewCache } from './state-view.js';

/**
 * Prebuilds in `run`: the reconciler, the metrics (gauges from a fresh or <= 5 s old decision,
 * lifetime counters refreshed on their own interval), the presets API (status, plan, invalidate,
 * reset, pause, resume) and workspace creation with claims (`POST /api/v1/workspaces`).
 */
export const prebuildsFeature: FeatureFactory = (context) => {
  const { config, pool, clock, logger, listener, registry } = context;
  const options = prebuildOptionsFromConfig(config);
  const metrics = prebuildMetricsFor(registry);
  const stateCache = new StateViewCache({ db: pool, clock, options });
  const counters = new CountersCache({
    db: pool,
    logger,
    intervalMs: config.prebuildMetricsInterval,
    ...(listener ? { listener } : {}),
  });
  metrics.setStateSource(() => stateCache.get());
  metrics.setCountersSource(() => counters.get());
  const reconciler = new PrebuildReconciler({
    db: pool,
    logger,
    clock,
    options,
    intervalMs: config.reconcileInterval,
    ...(config.prebuildActionConcurrency !== undefined
      ? { concurrency: config.prebuildActionConcurrency }
      : {}),
    listener,
    metrics,
    stateCache,
  });
  // `prebuilds status` and `plan` on the command line decide with what this controller uses.
  const recordSettings = {
    name: 'prebuild-decision-settings',
    start: () => recordDecisionSettings(pool, options, clock.now()),
    stop: async () => undefined,
  };
  return {
    components: [recordSettings, counters, reconciler],
    api: [
      presetRoutes({ db: pool, clock, options, stateCache }),
      workspaceCreateRoute({ db: pool, clock, metrics }),
    ],
  };
};
