import { Counter, type Registry } from 'prom-client';

export interface NotificationMetrics {
  readonly delivered: Counter<'template' | 'method'>;
  readonly failed: Counter<'template' | 'method' | 'kind'>;
}

const byRegistry = new WeakMap<Registry, NotificationMetrics>();

/** The dispatchers' counters on a controller registry (shared by every dispatcher on it). */
export function notificationMetrics(registry: Registry): NotificationMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = {
      delivered: new Counter({
        name: 'coderd_notifications_delivered_total',
        help: 'Notification messages delivered, by template and method (webhook or log).',
        labelNames: ['template', 'method'],
        registers: [registry],
      }),
      failed: new Counter({
        name: 'coderd_notifications_failed_total',
        help: 'Failed notification delivery attempts, by template, method and kind (temporary = retried, permanent = given up).',
        labelNames: ['template', 'method', 'kind'],
        registers: [registry],
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
