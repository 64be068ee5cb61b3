import { ClaimHistoryPruner } from '../autoscaling/history-pruner.js';
import { AutoscalingInputs } from '../autoscaling/inputs.js';
import type { FeatureFactory } from '../service/controller.js';
import { workspaceCreateRoute } from './claim-routes.js';
import { CountersCache } from './counters-cache.js';
import { recordDecisionSettings } from './decision-settings.js';
import { prebuildMetricsFor } from './metrics.js';
import { prebuildOptionsFromConfig } from './options.js';
import { loadActivePresetNames } from './preset-names.js';
import { PrebuildReconciler } from './reconciler.js';
import { presetRoutes } from './routes.js';
import { StateViewCache } from './state-view.js';

/**
 * Prebuilds in `run`: the reconciler, the metrics (gauges from a fresh or <= 5 s old decision,
 * lifetime counters refreshed on their own interval), the presets API (status, plan, invalidate,
 * reset, pause, resume), workspace creation with claims (`POST /api/v1/workspaces`), and the
 * claim history's retention (autoscaling's demand).
 */
export const prebuildsFeature: FeatureFactory = (context) => {
  const { config, pool, clock, logger, listener, registry } = context;
  const options = prebuildOptionsFromConfig(config);
  const metrics = prebuildMetricsFor(registry);
  const autoscaling = new AutoscalingInputs();
  const stateCache = new StateViewCache({ db: pool, clock, options, autoscaling });
  const counters = new CountersCache({
    db: pool,
    logger,
    intervalMs: config.prebuildMetricsInterval,
    ...(listener ? { listener } : {}),
  });
  metrics.setStateSource(() => stateCache.get());
  metrics.setCountersSource(() => counters.get());
  // One small query per scrape: the presets without prebuilds are not in the state view.
  metrics.setPresetNamesSource(() => loadActivePresetNames(pool));
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
    autoscaling,
  });
  const pruner = new ClaimHistoryPruner({
    db: pool,
    logger,
    clock,
    retentionMs: config.claimHistoryRetention,
  });
  // `prebuilds status` and `plan` on the command line decide with what this controller uses.
  const recordSettings = {
    name: 'prebuild-decision-settings',
    start: () => recordDecisionSettings(pool, options, clock.now()),
    stop: async () => undefined,
  };
  return {
    components: [recordSettings, counters, reconciler, pruner],
    api: [
      presetRoutes({ db: pool, clock, options, stateCache, autoscaling }),
      workspaceCreateRoute({ db: pool, clock, metrics }),
    ],
  };
};
