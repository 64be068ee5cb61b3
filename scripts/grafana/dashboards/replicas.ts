import type { Section } from '../model.js';
import { alertAbove, stat, timeseries } from '../panels.js';
import { quantile, selector } from '../variables.js';

const REQUESTS = 'coderd_api_requests_processed_total';
const LATENCY = 'coderd_api_request_latencies_seconds';
/** Scrapes and probes are requests too; the API panels leave them out. */
const API = 'path=~"/api/.*"';

/**
 * Replica health, the same row on every dashboard: is each process scraped (`up`), which build
 * does it run, how does its HTTP API answer, is its database pool starved, and what do CPU,
 * memory and the event loop do. Everything is per replica (`instance`): these are the process's
 * own numbers, not the database's.
 */
export function replicaHealth(): Section {
  return {
    title: 'Replica health',
    panels: [
      stat({
        title: 'Replicas up',
        description:
          "Scrape targets (controller replicas and provisioner daemons with --metrics-listen) that answered Prometheus' last scrape (`up` is recorded by Prometheus).",
        width: 4,
        query: { expr: `sum(${selector('up')}) or vector(0)` },
      }),
      stat({
        title: 'Replicas down',
        description: 'Scrape targets that did not answer the last scrape.',
        width: 4,
        query: { expr: `count(${selector('up')} == 0) or vector(0)` },
        thresholds: alertAbove(1),
      }),
      stat({
        title: 'API errors (5xx)',
        description: 'API requests answered with a 5xx status over the time range, all replicas.',
        width: 4,
        query: {
          expr: `sum(increase(${selector(REQUESTS, API, 'code=~"5.."')}[$__range])) or vector(0)`,
        },
        thresholds: alertAbove(1),
      }),
      stat({
        title: 'Waiting for a connection',
        description:
          'Queries waiting for a free database connection now, all replicas. Above zero for long: raise PREBUILD_CONTROLLER_DATABASE_POOL_SIZE or look for slow queries.',
        width: 4,
        query: {
          expr: `sum(${selector('prebuild_controller_db_pool_waiting_clients')}) or vector(0)`,
        },
        thresholds: alertAbove(1, 'orange'),
      }),
      stat({
        title: 'Versions running',
        description:
          'How many different versions the replicas run (prebuild_controller_build_info); more than one during a rollout.',
        width: 4,
        query: {
          expr: `count(count by (version) (${selector('prebuild_controller_build_info')})) or vector(0)`,
        },
        thresholds: alertAbove(2, 'orange'),
      }),
      stat({
        title: 'Youngest replica uptime',
        description:
          'Time since the most recent process start among the replicas: short after a crash, a rollout or an eviction.',
        width: 4,
        unit: 's',
        query: { expr: `time() - max(${selector('process_start_time_seconds')})` },
      }),
      timeseries({
        title: 'Up by replica',
        description: '1 while Prometheus scrapes the replica, 0 when the scrape fails.',
        width: 8,
        queries: [{ expr: selector('up'), legend: '{{instance}}' }],
      }),
      timeseries({
        title: 'API requests by status',
        description:
          'API requests per second by status code, all replicas (scrapes and health probes left out).',
        width: 8,
        unit: 'reqps',
        stacked: true,
        queries: [
          {
            expr: `sum by (code) (rate(${selector(REQUESTS, API)}[$__rate_interval]))`,
            legend: '{{code}}',
          },
        ],
      }),
      timeseries({
        title: 'API latency p95 by route',
        description:
          'The 95th percentile of the time to answer, per route pattern (ids never appear: /api/v1/workspaces/{id} is one route).',
        width: 8,
        unit: 's',
        queries: [
          {
            expr: quantile(0.95, LATENCY, [API], ['method', 'path']),
            legend: '{{method}} {{path}}',
          },
        ],
      }),
      timeseries({
        title: 'Database pool by replica',
        description:
          'Open connections (solid), idle ones and callers waiting for a connection, per replica. Open at the maximum with callers waiting: the pool is too small or queries are slow.',
        width: 6,
        queries: [
          {
            expr: `max by (instance) (${selector('prebuild_controller_db_pool_connections')})`,
            legend: '{{instance}} open',
          },
          {
            expr: `max by (instance) (${selector('prebuild_controller_db_pool_idle_connections')})`,
            legend: '{{instance}} idle',
          },
          {
            expr: `max by (instance) (${selector('prebuild_controller_db_pool_waiting_clients')})`,
            legend: '{{instance}} waiting',
          },
          {
            expr: `max(${selector('prebuild_controller_db_pool_max_connections')})`,
            legend: 'maximum',
          },
        ],
        dashed: ['^maximum$'],
      }),
      timeseries({
        title: 'CPU by replica',
        description: 'CPU time the process uses per second (1 = one full core).',
        width: 6,
        queries: [
          {
            expr: `sum by (instance) (rate(${selector('process_cpu_seconds_total')}[$__rate_interval]))`,
            legend: '{{instance}}',
          },
        ],
      }),
      timeseries({
        title: 'Memory by replica',
        description: 'Resident memory of the process.',
        width: 6,
        unit: 'bytes',
        queries: [
          {
            expr: `max by (instance) (${selector('process_resident_memory_bytes')})`,
            legend: '{{instance}}',
          },
        ],
      }),
      timeseries({
        title: 'Event loop delay p99 by replica',
        description:
          'The 99th percentile delay of the Node.js event loop: a busy or blocked loop delays every request, pass and tick of the replica.',
        width: 6,
        unit: 's',
        queries: [
          {
            expr: `max by (instance) (${selector('nodejs_eventloop_lag_p99_seconds')})`,
            legend: '{{instance}}',
          },
        ],
      }),
    ],
  };
}
