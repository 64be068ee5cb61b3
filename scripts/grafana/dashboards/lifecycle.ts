import type { DashboardSpec } from '../model.js';
import { alertAbove, stat, timeseries } from '../panels.js';
import { replicaHealth } from './replicas.js';
import { datasourceVariable, mean, quantile, selector, targetVariables } from '../variables.js';

const TICK = 'coderd_lifecycle_autobuild_execution_duration_seconds';
const TRANSITIONS = 'coderd_lifecycle_transitions_total';
const REMINDERS = 'coderd_lifecycle_autostop_reminders_total';
const JOBS = 'coderd_lifecycle_jobs_total';
const DELIVERED = 'coderd_notifications_delivered_total';
const FAILED = 'coderd_notifications_failed_total';
const PENDING = 'coderd_notifications_pending_messages';

/** Counters count what each replica did: the total is their sum. */
const inRange = (metric: string, ...matchers: string[]) =>
  `sum(increase(${selector(metric, ...matchers)}[$__range])) or vector(0)`;
const perInterval = (metric: string, by: string, ...matchers: string[]) =>
  `sum by (${by}) (increase(${selector(metric, ...matchers)}[$__rate_interval]))`;

const now = [
  stat({
    title: 'Transitions',
    description:
      'Workspace builds and state changes the lifecycle executor made over the time range (autostart, autostop, dormancy, auto-delete, failed-build cleanup).',
    width: 4,
    query: { expr: inRange(TRANSITIONS) },
  }),
  stat({
    title: 'Reminders sent',
    description: 'Autostop reminders enqueued over the time range.',
    width: 4,
    query: { expr: inRange(REMINDERS, 'outcome="sent"') },
  }),
  stat({
    title: 'Lifecycle jobs failed',
    description:
      'Lifecycle jobs that failed or were abandoned (their executor died) over the time range; the next tick decides again.',
    width: 4,
    query: { expr: inRange(JOBS, 'outcome=~"failed|abandoned"') },
    thresholds: alertAbove(1, 'orange'),
  }),
  stat({
    title: 'Tick duration p95',
    description: 'The 95th percentile of the lifecycle tick duration over the time range.',
    width: 4,
    unit: 's',
    query: { expr: quantile(0.95, TICK, [], [], '$__range') },
  }),
  stat({
    title: 'Notifications delivered',
    description: 'Notification messages delivered (webhook or log) over the time range.',
    width: 4,
    query: { expr: inRange(DELIVERED) },
  }),
  stat({
    title: 'Notification failures',
    description:
      'Failed delivery attempts over the time range (temporary ones are retried; permanent ones were given up).',
    width: 4,
    query: { expr: inRange(FAILED) },
    thresholds: alertAbove(1, 'orange'),
  }),
];

const executor = [
  timeseries({
    title: 'Transitions by reason',
    description:
      'Transitions per interval by operation (start, stop, delete, dormant) and build reason (autostart, autostop, dormancy, autodelete, failedstop...).',
    width: 12,
    bars: true,
    stacked: true,
    queries: [
      {
        expr: perInterval(TRANSITIONS, 'operation, reason'),
        legend: '{{operation}} ({{reason}})',
      },
    ],
  }),
  timeseries({
    title: 'Autostop reminders',
    description:
      'Reminders per interval: sent, duplicate (already enqueued today) or failed (re-armed for a later tick).',
    width: 12,
    bars: true,
    stacked: true,
    queries: [{ expr: perInterval(REMINDERS, 'outcome'), legend: '{{outcome}}' }],
  }),
  timeseries({
    title: 'Lifecycle jobs by outcome',
    description:
      'Lifecycle jobs finished per interval: built, marked (dormant without a build), skipped (nothing to do any more), canceled, failed, abandoned.',
    width: 12,
    bars: true,
    stacked: true,
    queries: [{ expr: perInterval(JOBS, 'outcome'), legend: '{{outcome}}' }],
  }),
  timeseries({
    title: 'Tick duration',
    description: 'Duration of one lifecycle tick (schedule, reminders, execute), across replicas.',
    width: 12,
    unit: 's',
    queries: [
      ...[0.5, 0.95, 0.99].map((q) => ({ expr: quantile(q, TICK, []), legend: `p${q * 100}` })),
      { expr: mean(TICK, []), legend: 'mean' },
    ],
  }),
  timeseries({
    title: 'Ticks per minute by replica',
    description:
      'Lifecycle ticks each replica ran per minute (every replica ticks; they share the work through the database). A replica at zero has a stuck or stopped executor.',
    width: 24,
    unit: 'opm',
    queries: [
      {
        expr: `sum by (instance) (rate(${selector(`${TICK}_count`)}[$__rate_interval])) * 60`,
        legend: '{{instance}}',
      },
    ],
  }),
];

const notifications = [
  timeseries({
    title: 'Notifications delivered',
    description: 'Messages delivered per interval by template and method (webhook or log).',
    width: 8,
    bars: true,
    stacked: true,
    queries: [
      { expr: perInterval(DELIVERED, 'template, method'), legend: '{{template}} ({{method}})' },
    ],
  }),
  timeseries({
    title: 'Notification delivery failures',
    description:
      'Failed delivery attempts per interval by template, method and kind: temporary (retried with backoff) or permanent (given up after the last attempt).',
    width: 8,
    bars: true,
    stacked: true,
    queries: [
      {
        expr: perInterval(FAILED, 'template, method, kind'),
        legend: '{{template}} ({{method}}, {{kind}})',
      },
    ],
  }),
  timeseries({
    title: 'Notifications waiting',
    description:
      'Messages waiting for a delivery attempt: pending (never tried yet) and temporary_failure (waiting for a retry). Read from the database, so every replica reports the same number. Growing: the dispatchers cannot keep up or the webhook is down.',
    width: 8,
    queries: [{ expr: `max by (status) (${selector(PENDING)})`, legend: '{{status}}' }],
  }),
];

export const lifecycleDashboard: DashboardSpec = {
  uid: 'prebuild-controller-lifecycle',
  title: 'Prebuild controller / Workspace lifecycle',
  description:
    'The workspace lifecycle executor (autostart, autostop, reminders, dormancy, auto-delete): transitions by reason, reminders, lifecycle job outcomes, tick duration, and notification delivery.',
  variables: [datasourceVariable, ...targetVariables(`${TICK}_count`)],
  sections: [
    { title: 'Now', panels: now },
    { title: 'Executor', panels: executor },
    { title: 'Notifications', panels: notifications },
    replicaHealth(),
  ],
};
