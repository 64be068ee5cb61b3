import { Counter, Histogram, type Registry } from 'prom-client';

/** What a lifecycle job ended as (the `outcome` label). */
export type LifecycleJobOutcome =
  /** A build was created. */
  | 'built'
  /** Marked dormant without a build. */
  | 'marked'
  /** Nothing to do when it ran (already in the desired state, no longer due, a concurrent build). */
  | 'skipped'
  /** The scheduler canceled it before it ran: its reason disappeared. */
  | 'canceled'
  /** It failed; the error is on the job and a later tick decides again. */
  | 'failed'
  /** Its executor died while running it. */
  | 'abandoned';

const JOB_OUTCOMES: readonly LifecycleJobOutcome[] = [
  'built',
  'marked',
  'skipped',
  'canceled',
  'failed',
  'abandoned',
];

/** The (operation, reason) pairs the lifecycle rules produce. */
const TRANSITION_LABELS = [
  ['start', 'autostart'],
  ['stop', 'autostop'],
  ['stop', 'dormancy'],
  ['stop', 'failedstop'],
  ['delete', 'autodelete'],
  ['dormant', 'dormancy'],
] as const;

export interface LifecycleMetrics {
  readonly tickDuration: Histogram;
  readonly transitions: Counter<'operation' | 'reason'>;
  readonly reminders: Counter<'outcome'>;
  readonly jobs: Counter<'outcome'>;
}

const byRegistry = new WeakMap<Registry, LifecycleMetrics>();

/** The lifecycle's metrics on a controller registry (shared by everything on it). */
export function lifecycleMetrics(registry: Registry): LifecycleMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = {
      tickDuration: new Histogram({
        name: 'coderd_lifecycle_autobuild_execution_duration_seconds',
        help: 'Duration of each autobuild execution (one lifecycle tick: schedule, reminders, execute).',
        registers: [registry],
      }),
      transitions: new Counter({
        name: 'coderd_lifecycle_transitions_total',
        help: 'Workspace transitions made by the lifecycle executor, by operation (start, stop, delete, dormant) and build reason.',
        labelNames: ['operation', 'reason'],
        registers: [registry],
      }),
      reminders: new Counter({
        name: 'coderd_lifecycle_autostop_reminders_total',
        help: 'Autostop reminders, by outcome (sent; duplicate = already enqueued today; failed = re-armed for a later tick).',
        labelNames: ['outcome'],
        registers: [registry],
      }),
      jobs: new Counter({
        name: 'coderd_lifecycle_jobs_total',
        help: 'Lifecycle jobs finished, by outcome (built, marked, skipped, canceled, failed, abandoned).',
        labelNames: ['outcome'],
        registers: [registry],
      }),
    };
    // Every known series at 0, so the first event of each is an increase.
    for (const [operation, reason] of TRANSITION_LABELS) {
      metrics.transitions.inc({ operation, reason }, 0);
    }
    for (const outcome of ['sent', 'duplicate', 'failed']) metrics.reminders.inc({ outcome }, 0);
    for (const outcome of JOB_OUTCOMES) metrics.jobs.inc({ outcome }, 0);
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
