import type { FeatureFactory } from '../service/controller.js';
import { logDeliverer, webhookDeliverer } from './deliver.js';
import { NotificationDispatcher } from './dispatcher.js';
import { notificationMetrics } from './metrics.js';
import { countUndelivered } from './queries.js';

/**
 * The notification dispatcher `run` hosts (webhook when configured, else the log) and the gauge of
 * messages waiting for delivery.
 */
export const notificationsFeature: FeatureFactory = (context) => {
  const { config, logger } = context;
  notificationMetrics(context.registry).setPendingSource(() =>
    countUndelivered.any(context.pool, {}),
  );
  const deliverer = config.notificationsWebhook
    ? webhookDeliverer(config.notificationsWebhook, config.notificationWebhookTimeout)
    : logDeliverer(logger.child({ component: 'notifications' }));
  return {
    components: [
      new NotificationDispatcher({
        db: context.pool,
        logger,
        registry: context.registry,
        clock: context.clock,
        listener: context.listener,
        deliverer,
        intervalMs: config.notificationDispatchInterval,
        leaseMs: config.notificationLease,
        deliveryTimeoutMs: config.notificationWebhookTimeout,
        maxAttempts: config.notificationMaxAttempts,
        backoffBaseMs: config.notificationRetryBackoff,
        backoffMaxMs: config.notificationRetryBackoffMax,
        retentionMs: config.notificationRetention,
      }),
    ],
  };
};
