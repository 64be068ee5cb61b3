import type { Logger } from '../log/logger.js';

/** What a delivery carries: the rendered text plus everything a receiver may route on. */
export interface OutgoingNotification {
  readonly id: string;
  readonly template: string;
  readonly title: string;
  readonly body: string;
  readonly recipient: {
    readonly user_id: string;
    readonly username: string | null;
    readonly email: string | null;
  } | null;
  readonly payload: Record<string, unknown>;
  readonly targets: readonly string[];
  readonly created_by: string;
  readonly created_at: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

export interface Deliverer {
  /** `webhook` or `log`: the metrics' method label. */
  readonly method: string;
  /** Resolves when delivered; throws when this attempt failed (it may be retried). */
  deliver(message: OutgoingNotification, signal: AbortSignal): Promise<void>;
}

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
}

/**
 * JSON POST to a webhook; any 2xx means delivered. The message id goes in `Idempotency-Key` so a
 * receiver can drop the rare duplicate of at-least-once delivery.
 */
export function webhookDeliverer(url: string, timeoutMs: number): Deliverer {
  return {
    method: 'webhook',
    async deliver(message, signal) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'prebuild-controller',
            'idempotency-key': message.id,
          },
          body: JSON.stringify(message),
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        throw new DeliveryError(`webhook request failed: ${cause}`);
      }
      // Drain the body so the connection can be reused.
      const text = await response.text().catch(() => '');
      if (response.status < 200 || response.status > 299) {
        throw new DeliveryError(
          `webhook answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
        );
      }
    },
  };
}

/** No webhook configured: each message becomes one info log line. */
export function logDeliverer(logger: Logger): Deliverer {
  return {
    method: 'log',
    async deliver(message) {
      logger.info(
        {
          notification: {
            id: message.id,
            template: message.template,
            recipient: message.recipient,
            payload: message.payload,
            targets: message.targets,
            attempt: message.attempt,
          },
          body: message.body,
        },
        message.title,
      );
    },
  };
}
