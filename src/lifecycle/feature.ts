import type { FeatureFactory } from '../service/controller.js';
import { lifecycleMetrics } from './metrics.js';
import { LifecycleService } from './service.js';

/**
 * Services created by lifecycleFeature, by the context they run in: `run` has no handle on its
 * components, and tests (the end-to-end one) need to look at a service's tick stats.
 */
export const lifecycleServices = new WeakMap<object, LifecycleService>();

/** The lifecycle executor in `run`: scheduler, executor and abandoned-job recovery on a timer. */
export const lifecycleFeature: FeatureFactory = (context) => {
  const { config } = context;
  const service = new LifecycleService({
    pool: context.pool,
    logger: context.logger,
    clock: context.clock,
    listener: context.listener,
    metrics: lifecycleMetrics(context.registry),
    intervalMs: config.lifecycleInterval,
    activeWindowMs: config.autostopReminderActiveWindow,
    jobTimeoutMs: config.lifecycleJobTimeout,
    jobRetentionMs: config.lifecycleJobRetention,
  });
  lifecycleServices.set(context, service);
  return { components: [service] };
};
