import { Counter, Gauge, type Registry } from 'prom-client';

import { combinations, zeroSeries } from '../metrics/zero.js';
import { TEMPLATE_NAMES } from './templates.js';

export type PendingSource = () => Promise<readonly { status: string; messages: number }[]>;

export interface NotificationMetrics {
  readonly delivered: Counter<'template' | 'method'>;
  readonly failed: Counter<'template' | 'method' | 'kind'>;
  /** Set the scrape-time source of the pending-messages gauge (a database count). */
  setPendingSource(source: PendingSource): void;
}

const byRegistry = new WeakMap<Registry, NotificationMetrics>();
const WAITING_STATUSES = ['pending', 'temporary_failure'] as const;

/** The dispatchers' counters on a controller registry (shared by every dispatcher on it). */
export function notificationMetrics(registry: Registry): NotificationMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    let pendingSource: PendingSource | undefined;
    new Gauge({
      name: 'coderd_notifications_pending_messages',
      help: 'Notification messages waiting for a delivery attempt, by status (pending = never tried, temporary_failure = waiting for a retry), read from the database at scrape.',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        if (!pendingSource) return;
        let rows: Awaited<ReturnType<PendingSource>>;
        try {
          rows = await pendingSource();
        } catch {
          // A scrape during a database outage keeps the last values rather than failing /metrics.
          return;
        }
        for (const status of WAITING_STATUSES) this.set({ status }, 0);
        for (const row of rows) this.set({ status: row.status }, row.messages);
      },
    });
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
      setPendingSource: (source) => {
        pendingSource = source;
      },
    };
    // Every template and method at 0, so the first delivery or failure is an increase.
    const methods = ['webhook', 'log'];
    zeroSeries(metrics.delivered, combinations({ template: TEMPLATE_NAMES, method: methods }));
    zeroSeries(
      metrics.failed,
      combinations({
        template: TEMPLATE_NAMES,
        method: methods,
        kind: ['temporary', 'permanent'],
      }),
    );
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
