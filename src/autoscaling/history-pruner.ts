import type { DatabasePool } from 'slonik';

import type { Logger } from '../log/logger.js';
import type { Component } from '../service/component.js';
import { WakeLoop } from '../service/wake-loop.js';
import type { Clock } from '../util/clock.js';
import { pruneClaimAttempts } from './claim-history.js';

export interface HistoryPrunerOptions {
  readonly db: DatabasePool;
  readonly logger: Logger;
  readonly clock: Clock;
  /** PREBUILD_CONTROLLER_CLAIM_HISTORY_RETENTION: attempts older than this are deleted. */
  readonly retentionMs: number;
  /** Period of a round; default 10 minutes. */
  readonly intervalMs?: number;
  /** Rows per DELETE (one short transaction each); default 5000. */
  readonly batchSize?: number;
  /** Batches per round at most, so one round never hogs the database; default 20. */
  readonly maxBatches?: number;
}

/**
 * Retention of the claim history: every `intervalMs`, deletes the attempts recorded more than
 * `retentionMs` ago in batches of `batchSize` rows (each its own statement, oldest first, on the
 * `at` index), until a batch comes back short or `maxBatches` ran; the rest waits for the next
 * round. Every replica runs it; concurrent deletes of the same rows are harmless.
 */
export class ClaimHistoryPruner implements Component {
  readonly name = 'claim-history-pruner';
  readonly #o: HistoryPrunerOptions;
  readonly #log: Logger;
  readonly #loop: WakeLoop;

  constructor(options: HistoryPrunerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: this.name });
    this.#loop = new WakeLoop({
      round: async () => {
        await this.pruneOnce();
      },
      intervalMs: options.intervalMs ?? 10 * 60_000,
      log: this.#log,
      what: 'claim history retention',
    });
  }

  async start(): Promise<void> {
    this.#loop.start();
  }

  async stop(deadline: Date): Promise<void> {
    await this.#loop.stop(deadline);
  }

  /** One round at the clock's now; returns how many attempts were deleted. */
  async pruneOnce(now: Date = this.#o.clock.now()): Promise<number> {
    const before = new Date(now.getTime() - this.#o.retentionMs);
    const batch = this.#o.batchSize ?? 5000;
    const maxBatches = this.#o.maxBatches ?? 20;
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const deleted = await pruneClaimAttempts(this.#o.db, before, batch);
      total += deleted;
      if (deleted < batch) break;
    }
    if (total > 0) {
      this.#log.info(
        { deleted: total, before: before.toISOString() },
        'old claim attempts deleted',
      );
    }
    return total;
  }
}
