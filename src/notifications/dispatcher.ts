import { randomUUID } from 'node:crypto';

import type { Registry } from 'prom-client';

import { CHANNELS } from '../db/channels.js';
import type { Listener } from '../db/listener.js';
import type { Db } from '../db/sql-files.js';
import type { Logger } from '../log/logger.js';
import type { Component } from '../service/component.js';
import { WakeLoop } from '../service/wake-loop.js';
import type { Clock } from '../util/clock.js';
import { retryDelayMs } from './backoff.js';
import type { Deliverer, OutgoingNotification } from './deliver.js';
import { notificationMetrics, type NotificationMetrics } from './metrics.js';
import {
  deleteOldMessages,
  type LeasedMessage,
  leaseMessages,
  markFailed,
  markSent,
} from './queries.js';
import { renderNotification } from './templates.js';

export interface DispatcherOptions {
  readonly db: Db;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly deliverer: Deliverer;
  /** Wake-ups on enqueue; without it the dispatcher only polls. */
  readonly listener?: Listener;
  /** Poll period (also the pause after a database error). */
  readonly intervalMs: number;
  /** How long a leased message is ours; must exceed a delivery's worst case (see below). */
  readonly leaseMs: number;
  /** A delivery attempt is abandoned after this long. */
  readonly deliveryTimeoutMs: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly batchSize?: number;
  /** Finished messages older than this are deleted (hourly). */
  readonly retentionMs?: number;
  readonly workerId?: string;
}

export interface DispatchStats {
  readonly leased: number;
  readonly delivered: number;
  readonly retried: number;
  readonly failed: number;
  /** Outcomes we could not record because our lease had expired and another dispatcher took over. */
  readonly lostLeases: number;
}

const PURGE_EVERY_MS = 3_600_000;

/**
 * Delivers notification messages. Each batch is leased in one statement (FOR UPDATE SKIP LOCKED,
 * so two dispatchers never lease the same message), delivered concurrently, and each outcome is
 * recorded only while the lease is still ours. A dispatcher that dies mid-batch leaves leases that
 * expire and are taken over: delivery is at least once, and exactly once while deliveries finish
 * within the lease (the lease must be at least twice the delivery timeout).
 */
export class NotificationDispatcher implements Component {
  readonly name = 'notification-dispatcher';
  readonly workerId: string;
  readonly #o: DispatcherOptions;
  readonly #log: Logger;
  readonly #metrics: NotificationMetrics;
  readonly #batchSize: number;
  readonly #abort = new AbortController();
  readonly #loop: WakeLoop;
  #lastPurge = -Infinity;

  constructor(options: DispatcherOptions) {
    if (options.leaseMs < 2 * options.deliveryTimeoutMs) {
      throw new Error(
        `notification lease (${options.leaseMs} ms) must be at least twice the delivery timeout (${options.deliveryTimeoutMs} ms)`,
      );
    }
    if (options.maxAttempts < 1) throw new Error('notification max attempts must be at least 1');
    this.#o = options;
    this.workerId = options.workerId ?? `dispatcher-${randomUUID()}`;
    this.#log = options.logger.child({
      component: 'notification-dispatcher',
      worker: this.workerId,
    });
    this.#metrics = notificationMetrics(options.registry);
    this.#batchSize = options.batchSize ?? 20;
    this.#loop = new WakeLoop({
      round: async () => {
        await this.drain();
        await this.#purge();
      },
      intervalMs: options.intervalMs,
      log: this.#log,
      what: 'notification dispatch',
      ...(options.listener ? { listener: options.listener } : {}),
      channels: [{ channel: CHANNELS.notification }],
    });
  }

  async start(): Promise<void> {
    this.#loop.start();
    this.#log.info({ method: this.#o.deliverer.method }, 'notification dispatcher started');
  }

  async stop(deadline: Date): Promise<void> {
    if (!(await this.#loop.stop(deadline))) {
      // Deliveries still running past the deadline are interrupted; their leases expire and
      // another dispatcher delivers them again.
      this.#abort.abort();
      await this.#loop.done;
    }
  }

  /** Ask for a pass as soon as possible (an enqueue happened). */
  wake(): void {
    this.#loop.wake();
  }

  /** Dispatches batches until nothing due is left (or the dispatcher stops). */
  async drain(): Promise<DispatchStats> {
    const total = { leased: 0, delivered: 0, retried: 0, failed: 0, lostLeases: 0 };
    for (;;) {
      const stats = await this.dispatchOnce();
      for (const key of Object.keys(total) as (keyof DispatchStats)[]) total[key] += stats[key];
      if (stats.leased < this.#batchSize || this.#abort.signal.aborted) return total;
    }
  }

  /** Leases one batch of due messages and delivers it. */
  async dispatchOnce(): Promise<DispatchStats> {
    const now = this.#o.clock.now();
    const batch = await leaseMessages.any(this.#o.db, {
      worker: this.workerId,
      now,
      lease_ms: this.#o.leaseMs,
      limit: this.#batchSize,
    });
    const outcomes = await Promise.all(batch.map((message) => this.#handle(message)));
    const count = (outcome: string) => outcomes.filter((o) => o === outcome).length;
    const stats = {
      leased: batch.length,
      delivered: count('delivered'),
      retried: count('retried'),
      failed: count('failed'),
      lostLeases: count('lost'),
    };
    if (batch.length > 0) this.#log.debug(stats, 'notification batch dispatched');
    return stats;
  }

  async #handle(message: LeasedMessage): Promise<'delivered' | 'retried' | 'failed' | 'lost'> {
    const log = this.#log.child({ notification_id: message.id, template: message.template });
    const method = this.#o.deliverer.method;
    if (message.attempts > this.#o.maxAttempts) {
      // Re-leased after a dispatcher died during the final attempt: give up, do not send again.
      return this.#fail(message, 'permanent_failure', 'the final attempt was interrupted', log);
    }
    const outgoing = this.#outgoing(message);
    try {
      await this.#o.deliverer.deliver(outgoing, this.#abort.signal);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const permanent = message.attempts >= this.#o.maxAttempts;
      return this.#fail(
        message,
        permanent ? 'permanent_failure' : 'temporary_failure',
        reason,
        log,
      );
    }
    const marked = await markSent.maybeOne(this.#o.db, {
      id: message.id,
      worker: this.workerId,
      now: this.#o.clock.now(),
    });
    this.#metrics.delivered.inc({ template: message.template, method });
    if (!marked) {
      log.warn(
        'notification delivered after our lease expired: another dispatcher may deliver it again',
      );
      return 'lost';
    }
    log.debug({ attempt: message.attempts }, 'notification delivered');
    return 'delivered';
  }

  async #fail(
    message: LeasedMessage,
    status: 'temporary_failure' | 'permanent_failure',
    reason: string,
    log: Logger,
  ): Promise<'retried' | 'failed' | 'lost'> {
    const now = this.#o.clock.now();
    const delay = retryDelayMs(message.attempts, this.#o.backoffBaseMs, this.#o.backoffMaxMs);
    const retryAt = new Date(now.getTime() + (status === 'temporary_failure' ? delay : 0));
    const kind = status === 'temporary_failure' ? 'temporary' : 'permanent';
    this.#metrics.failed.inc({
      template: message.template,
      method: this.#o.deliverer.method,
      kind,
    });
    const marked = await markFailed.maybeOne(this.#o.db, {
      id: message.id,
      worker: this.workerId,
      now,
      status,
      reason,
      retry_at: retryAt,
    });
    if (!marked) {
      log.warn({ reason }, 'notification attempt failed after our lease expired');
      return 'lost';
    }
    if (status === 'permanent_failure') {
      log.error({ attempt: message.attempts, reason }, 'notification not delivered: giving up');
      return 'failed';
    }
    log.warn(
      { attempt: message.attempts, reason, retry_at: retryAt.toISOString() },
      'notification delivery failed; will retry',
    );
    return 'retried';
  }

  #outgoing(message: LeasedMessage): OutgoingNotification {
    const { title, body } = renderNotification(
      message.template,
      message.payload,
      this.#o.clock.now(),
    );
    return {
      id: message.id,
      template: message.template,
      title,
      body,
      recipient: message.user_id
        ? { user_id: message.user_id, username: message.username, email: message.email }
        : null,
      payload: message.payload,
      targets: message.targets,
      created_by: message.created_by,
      created_at: message.created_at.toISOString(),
      attempt: message.attempts,
    };
  }

  async #purge(): Promise<void> {
    const retention = this.#o.retentionMs;
    const now = this.#o.clock.now().getTime();
    if (retention === undefined || now - this.#lastPurge < PURGE_EVERY_MS) return;
    this.#lastPurge = now;
    const deleted = await deleteOldMessages.exec(this.#o.db, { before: new Date(now - retention) });
    if (deleted > 0) this.#log.info({ deleted }, 'old notification messages deleted');
  }
}
