import type { Logger } from '../log/logger.js';
import type { ActOutcome } from './execute.js';
import type { PrebuildMetrics } from './metrics.js';

export type PassOutcome = 'reconciled' | 'paused' | 'locked' | 'failed';

/** What one pass did (kept as `lastStats`, logged, and counted in the metrics). */
export interface PassStats {
  readonly at: Date;
  readonly outcome: PassOutcome;
  readonly presetsTotal: number;
  /** Presets the pass acted on (an action or a status change). */
  readonly presetsReconciled: number;
  readonly created: number;
  readonly deleted: number;
  readonly canceled: number;
  /** Actions dropped at their re-check (a claim won, a build started, a push landed). */
  readonly skipped: number;
  readonly statusChanges: number;
  readonly backingOff: number;
  readonly errors: number;
  readonly elapsedMs: number;
  /** When the snapshot's decisions change next without a write (nextChangeAt); null: none. */
  readonly nextChangeAt: Date | null;
}

const EMPTY = {
  presetsTotal: 0,
  presetsReconciled: 0,
  created: 0,
  deleted: 0,
  canceled: 0,
  skipped: 0,
  statusChanges: 0,
  backingOff: 0,
  errors: 0,
  nextChangeAt: null,
} as const;

export type Attempt =
  | { readonly kind: 'stale' | 'locked' | 'paused' }
  | {
      readonly kind: 'reconciled';
      readonly presets: number;
      readonly backingOff: number;
      readonly acted: ActOutcome;
      readonly nextChangeAt: Date | null;
    };

/** A pass's stats from what it did (`undefined`: it failed). */
export function passStats(now: Date, attempt: Attempt | undefined, elapsedMs: number): PassStats {
  const base = { at: now, elapsedMs: Math.round(elapsedMs * 10) / 10 };
  if (!attempt) return { ...EMPTY, ...base, outcome: 'failed', errors: 1 };
  switch (attempt.kind) {
    case 'locked':
    case 'stale':
      return { ...EMPTY, ...base, outcome: 'locked' };
    case 'paused':
      return { ...EMPTY, ...base, outcome: 'paused' };
    case 'reconciled': {
      const { acted } = attempt;
      return {
        ...base,
        outcome: 'reconciled',
        presetsTotal: attempt.presets,
        presetsReconciled: acted.presetsActed,
        created: acted.created,
        deleted: acted.deleted,
        canceled: acted.canceled,
        skipped: acted.skipped,
        statusChanges: acted.statusChanges,
        backingOff: attempt.backingOff,
        errors: acted.errors,
        nextChangeAt: attempt.nextChangeAt,
      };
    }
  }
}

/** Passes and actions in the metrics; the duration only for passes that reconciled. */
export function recordPassMetrics(metrics: PrebuildMetrics, stats: PassStats): void {
  metrics.passes.inc({ outcome: stats.outcome });
  if (stats.outcome === 'reconciled') metrics.reconcileDuration.observe(stats.elapsedMs / 1000);
  if (stats.outcome === 'failed') metrics.errors.inc({ kind: 'pass' });
  metrics.actions.inc({ type: 'create' }, stats.created);
  metrics.actions.inc({ type: 'delete' }, stats.deleted);
  metrics.actions.inc({ type: 'cancel_pending' }, stats.canceled);
  metrics.actions.inc({ type: 'status' }, stats.statusChanges);
}

/** At info when the pass changed something (or failed at something), else at debug. */
export function logPass(log: Logger, stats: PassStats): void {
  const changed =
    stats.created + stats.deleted + stats.canceled + stats.statusChanges + stats.errors > 0;
  const { at, ...fields } = stats;
  if (changed) log.info({ ...fields, at: at.toISOString() }, 'reconciliation pass');
  else log.debug({ ...fields, at: at.toISOString() }, 'reconciliation pass');
}
