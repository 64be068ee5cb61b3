import type { DashboardSpec } from '../model.js';
import { alertAbove, stat, timeseries } from '../panels.js';
import { replicaHealth } from './replicas.js';
import {
  datasourceVariable,
  labelVariable,
  quantile,
  selector,
  targetVariables,
} from '../variables.js';

const DEPTH = 'coderd_provisioner_job_queue_depth';
const WAIT = 'coderd_provisioner_job_wait_seconds';
const RUN = 'coderd_provisioner_job_run_seconds';
const ENQUEUED = 'coderd_workspace_builds_enqueued_total';

const PROVISIONER = 'provisioner=~"$provisioner"';
/** The enqueue counter keeps Coder's label name for the provisioner. */
const PROVISIONER_TYPE = 'provisioner_type=~"$provisioner"';

/** Read from the database at scrape: every replica reports the same depth, so max. */
const depth = (status: string) =>
  `sum(max by (provisioner, status) (${selector(DEPTH, PROVISIONER, `status="${status}"`)})) or vector(0)`;
const inRange = (metric: string) =>
  `sum(increase(${selector(metric, PROVISIONER)}[$__range])) or vector(0)`;
const perMinute = (metric: string, by: string, ...matchers: string[]) =>
  `sum by (${by}) (rate(${selector(metric, ...matchers)}[$__rate_interval])) * 60`;

const now = [
  stat({
    title: 'Pending',
    description: 'Jobs waiting for a provisioner daemon now.',
    width: 4,
    query: { expr: depth('pending') },
  }),
  stat({
    title: 'Running',
    description: 'Jobs a daemon is running now.',
    width: 4,
    query: { expr: depth('running') },
  }),
  stat({
    title: 'Canceling',
    description: 'Running jobs asked to cancel that their daemon has not stopped yet.',
    width: 4,
    query: { expr: depth('canceling') },
  }),
  stat({
    title: 'Wait p95',
    description:
      'The 95th percentile of the time from a job being created to a daemon acquiring it, over the time range (jobs acquired by the daemons inside `run` replicas).',
    width: 4,
    unit: 's',
    query: { expr: quantile(0.95, WAIT, [PROVISIONER], [], '$__range') },
  }),
  stat({
    title: 'Failed',
    description: 'Jobs that failed over the time range (reaped ones included).',
    width: 4,
    query: { expr: inRange('coderd_provisioner_jobs_failed_total') },
    thresholds: alertAbove(1, 'orange'),
  }),
  stat({
    title: 'Reaped',
    description:
      'Running jobs failed by the reaper over the time range because their daemon stopped sending heartbeats.',
    width: 4,
    query: { expr: inRange('coderd_provisioner_jobs_reaped_total') },
    thresholds: alertAbove(1),
  }),
];

const queue = [
  timeseries({
    title: 'Queue depth',
    description: 'Unfinished jobs by provisioner and status (read from the database at scrape).',
    width: 12,
    queries: [
      {
        expr: `max by (provisioner, status) (${selector(DEPTH, PROVISIONER)})`,
        legend: '{{provisioner}} {{status}}',
      },
    ],
  }),
  timeseries({
    title: 'Wait time (creation to acquisition)',
    description:
      'How long jobs waited for a daemon: the acquire latency of the queue. Long waits mean too few daemons, or none whose tags match the jobs.',
    width: 12,
    unit: 's',
    queries: [0.5, 0.95, 0.99].map((q) => ({
      expr: quantile(q, WAIT, [PROVISIONER], ['provisioner']),
      legend: `{{provisioner}} p${q * 100}`,
    })),
  }),
  timeseries({
    title: 'Run time (acquisition to end)',
    description: 'How long jobs ran, by final status (succeeded, failed, canceled).',
    width: 12,
    unit: 's',
    queries: [0.5, 0.95].map((q) => ({
      expr: quantile(q, RUN, [PROVISIONER], ['status']),
      legend: `{{status}} p${q * 100}`,
    })),
  }),
  timeseries({
    title: 'Acquired, completed, failed, canceled, reaped',
    description:
      'Jobs per minute: acquired by a daemon, and how they ended (succeeded, failed, canceled while running, reaped after lost heartbeats).',
    width: 12,
    unit: 'opm',
    queries: ['acquired', 'completed', 'failed', 'canceled', 'reaped'].map((name) => ({
      expr: `sum(rate(${selector(`coderd_provisioner_jobs_${name}_total`, PROVISIONER)}[$__rate_interval])) * 60`,
      legend: name,
    })),
  }),
  timeseries({
    title: 'Failures by error code',
    description: 'Failed jobs per minute by provisioner and error code.',
    width: 12,
    unit: 'opm',
    queries: [
      {
        expr: perMinute(
          'coderd_provisioner_jobs_failed_total',
          'provisioner, error_code',
          PROVISIONER,
        ),
        legend: '{{provisioner}} {{error_code}}',
      },
    ],
  }),
  timeseries({
    title: 'Reaped jobs',
    description:
      'Jobs reaped per interval: their daemon died or lost the database while running them.',
    width: 12,
    bars: true,
    queries: [
      {
        expr: `sum by (provisioner, type) (increase(${selector('coderd_provisioner_jobs_reaped_total', PROVISIONER)}[$__rate_interval]))`,
        legend: '{{provisioner}} {{type}}',
      },
    ],
  }),
];

const builds = [
  timeseries({
    title: 'Builds enqueued by reason and transition',
    description:
      'Workspace builds enqueued per minute by build reason (prebuild, claim, autostart, autostop, initiator...) and transition.',
    width: 8,
    unit: 'opm',
    stacked: true,
    queries: [
      {
        expr: perMinute(ENQUEUED, 'build_reason, transition', PROVISIONER_TYPE, 'status="success"'),
        legend: '{{build_reason}} {{transition}}',
      },
    ],
  }),
  timeseries({
    title: 'Builds enqueued by status',
    description: 'Build enqueues per minute that succeeded or failed.',
    width: 8,
    unit: 'opm',
    queries: [{ expr: perMinute(ENQUEUED, 'status', PROVISIONER_TYPE), legend: '{{status}}' }],
  }),
  timeseries({
    title: 'Failed enqueues',
    description:
      'Build requests refused per minute by reason and transition (for example a build already in progress).',
    width: 8,
    unit: 'opm',
    queries: [
      {
        expr: perMinute(ENQUEUED, 'build_reason, transition', PROVISIONER_TYPE, 'status="failed"'),
        legend: '{{build_reason}} {{transition}}',
      },
    ],
  }),
];

export const jobsDashboard: DashboardSpec = {
  uid: 'prebuild-controller-jobs',
  title: 'Prebuild controller / Job queue',
  description:
    'The provisioner job queue: depth by status, wait (acquire latency) and run time, acquired/completed/failed/canceled/reaped jobs, and workspace builds enqueued by reason, transition and status.',
  variables: [
    datasourceVariable,
    ...targetVariables(DEPTH),
    labelVariable('provisioner', 'provisioner', `${DEPTH}{job=~"$job"}`),
  ],
  sections: [
    { title: 'Now', panels: now },
    { title: 'Queue', panels: queue },
    { title: 'Builds enqueued', panels: builds },
    replicaHealth(),
  ],
};
