import pg from 'pg';

import type { Logger } from '../log/logger.js';

export type NotificationHandler = (payload: string) => void;

export interface ListenerOptions {
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How often the idle connection is probed so a dead TCP connection is noticed. */
  readonly heartbeatMs?: number;
  /** How long one connection attempt may take (default 10 s); then it is retried. */
  readonly connectTimeoutMs?: number;
}

/**
 * One dedicated connection for LISTEN. A notification is only a wake-up hint: it is lost while
 * the connection is down, so every consumer also polls, and `onReconnect` handlers run after each
 * reconnection so consumers can catch up with what they missed.
 */
export class Listener {
  readonly #url: string;
  readonly #log: Logger;
  readonly #handlers = new Map<string, Set<NotificationHandler>>();
  readonly #reconnectHandlers = new Set<() => void>();
  readonly #minBackoff: number;
  readonly #maxBackoff: number;
  readonly #heartbeatMs: number;
  readonly #connectTimeoutMs: number;
  #client: pg.Client | undefined;
  #stopped = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #connected = false;
  #listening: Promise<void> = Promise.resolve();

  constructor(url: string, logger: Logger, options: ListenerOptions = {}) {
    this.#url = url;
    this.#log = logger.child({ component: 'listener' });
    this.#minBackoff = options.minBackoffMs ?? 100;
    this.#maxBackoff = options.maxBackoffMs ?? 10_000;
    this.#heartbeatMs = options.heartbeatMs ?? 30_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Connects; on failure keeps retrying in the background (start never throws). */
  async start(): Promise<void> {
    await this.#connect();
  }

  /** Subscribes to a channel; returns the unsubscribe function. */
  on(channel: string, handler: NotificationHandler): () => void {
    let set = this.#handlers.get(channel);
    if (!set) {
      set = new Set();
      this.#handlers.set(channel, set);
      if (this.#client && this.#connected) {
        const client = this.#client;
        // One statement at a time on the connection (pg deprecates overlapping queries): several
        // subscriptions made in a row queue their LISTENs.
        this.#listening = this.#listening
          .then(() => client.query(`LISTEN ${client.escapeIdentifier(channel)}`))
          .then(
            () => undefined,
            (error: unknown) => {
              this.#log.warn({ err: error, channel }, 'LISTEN failed; reconnecting');
              this.#scheduleReconnect(client);
            },
          );
      }
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  onReconnect(handler: () => void): () => void {
    this.#reconnectHandlers.add(handler);
    return () => this.#reconnectHandlers.delete(handler);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#heartbeat);
    const client = this.#client;
    this.#client = undefined;
    this.#connected = false;
    if (client) await client.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: 'prebuild-controller listener',
      keepAlive: true,
      connectionTimeoutMillis: this.#connectTimeoutMs,
    });
    client.on('error', (error) => {
      this.#log.warn({ err: error }, 'listener connection error');
      this.#scheduleReconnect(client);
    });
    client.on('end', () => this.#scheduleReconnect(client));
    this.#client = client;
    client.on('notification', (message) => {
      for (const handler of this.#handlers.get(message.channel) ?? []) {
        try {
          handler(message.payload ?? '');
        } catch (error) {
          this.#log.error({ err: error, channel: message.channel }, 'notification handler failed');
        }
      }
    });
    try {
      await client.connect();
      for (const channel of this.#handlers.keys()) {
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      }
    } catch (error) {
      this.#log.warn({ err: error, attempt: this.#attempt }, 'listener could not connect');
      this.#scheduleReconnect(client);
      return;
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    const reconnected = this.#attempt > 0;
    this.#connected = true;
    this.#attempt = 0;
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => {
      client.query('SELECT 1').catch(() => this.#scheduleReconnect(client));
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
    if (reconnected) {
      this.#log.info('listener reconnected');
      for (const handler of this.#reconnectHandlers) handler();
    }
  }

  #scheduleReconnect(client: pg.Client): void {
    // Events from a connection we already gave up on are ignored.
    if (this.#stopped || this.#client !== client || this.#timer) return;
    this.#client = undefined;
    this.#connected = false;
    clearInterval(this.#heartbeat);
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.#attempt += 1;
    // Full jitter: a random wait up to the exponential ceiling, so replicas do not reconnect in step.
    const ceiling = Math.min(this.#maxBackoff, this.#minBackoff * 2 ** (this.#attempt - 1));
    const delay = Math.round(Math.random() * ceiling);
    this.#log.debug({ attempt: this.#attempt, retryInMs: delay }, 'listener reconnecting');
    // Not unref'd: a reconnection due is work to do, and must keep the process alive until then
    // (`stop` clears it).
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, delay);
  }
}
