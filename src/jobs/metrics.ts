import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

import { combinations, releaseHeldObservations, zeroSeries } from '../metrics/zero.js';
import {
  BUILD_REASONS,
  JOB_ERROR_CODES,
  JOB_TYPES,
  PROVISIONER_TYPES,
  TRANSITIONS,
} from './model.js';

/** Metrics of the job queue, registered once per controller registry. */
export interface JobMetrics {
  readonly enqueued: Counter<'provisioner_type' | 'build_reason' | 'transition' | 'status'>;
  readonly acquired: Counter<'provisioner' | 'type'>;
  readonly completed: Counter<'provisioner' | 'type'>;
  readonly failed: Counter<'provisioner' | 'type' | 'error_code'>;
  readonly canceled: Counter<'provisioner' | 'type'>;
  readonly reaped: Counter<'provisioner' | 'type'>;
  readonly waitSeconds: Histogram<'provisioner' | 'type'>;
  readonly runSeconds: Histogram<'provisioner' | 'type' | 'status'>;
  /** Prebuild creation job start to eligible for claims, per preset. */
  readonly timeToReady: Histogram<PresetLabel>;
  /** Coder's: a workspace's first build (type regular) or a prebuild's creation (type prebuild). */
  readonly creationSeconds: Histogram<
    'organization_name' | 'template_name' | 'preset_name' | 'type'
  >;
  /** Set the scrape-time source of the queue depth gauge (the DB query lives with the feature). */
  setQueueDepthSource(source: QueueDepthSource): void;
}

export type QueueDepthSource = () => Promise<
  readonly { provisioner: string; status: string; jobs: number }[]
>;

type PresetLabel = 'template_name' | 'preset_name' | 'organization_name';

let processDefault: JobMetrics | undefined;

/**
 * The metrics builds are counted into when an enqueue names none: those of the controller that
 * hosts the jobs feature in this process (one per process in production), so every caller of
 * enqueueWorkspaceBuild is counted without plumbing.
 */
export function setDefaultJobMetrics(metrics: JobMetrics | undefined): void {
  processDefault = metrics;
}

export function defaultJobMetrics(): JobMetrics | undefined {
  return processDefault;
}

const UNFINISHED_STATUSES = ['pending', 'running', 'canceling'] as const;
const byRegistry = new WeakMap<Registry, JobMetrics>();

/** The job metrics of a registry, created on first use so every part shares the same ones. */
export function jobMetricsFor(registry: Registry): JobMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  let depthSource: QueueDepthSource | undefined;
  const metrics: JobMetrics = {
    enqueued: new Counter({
      name: 'coderd_workspace_builds_enqueued_total',
      help: 'Workspace builds enqueued, by provisioner, reason, transition and whether the enqueue succeeded.',
      labelNames: ['provisioner_type', 'build_reason', 'transition', 'status'],
      registers,
    }),
    acquired: new Counter({
      name: 'coderd_provisioner_jobs_acquired_total',
      help: 'Provisioner jobs acquired by a daemon.',
      labelNames: ['provisioner', 'type'],
      registers,
    }),
    completed: new Counter({
      name: 'coderd_provisioner_jobs_completed_total',
      help: 'Provisioner jobs that succeeded.',
      labelNames: ['provisioner', 'type'],
      registers,
    }),
    failed: new Counter({
      name: 'coderd_provisioner_jobs_failed_total',
      help: 'Provisioner jobs that failed, by error code (reaped jobs included).',
      labelNames: ['provisioner', 'type', 'error_code'],
      registers,
    }),
    canceled: new Counter({
      name: 'coderd_provisioner_jobs_canceled_total',
      help: 'Provisioner jobs canceled: pending ones canceled through the API at once, running ones when their daemon stopped them.',
      labelNames: ['provisioner', 'type'],
      registers,
    }),
    reaped: new Counter({
      name: 'coderd_provisioner_jobs_reaped_total',
      help: 'Running provisioner jobs failed by the reaper because their heartbeat stopped.',
      labelNames: ['provisioner', 'type'],
      registers,
    }),
    waitSeconds: new Histogram({
      name: 'coderd_provisioner_job_wait_seconds',
      help: 'Time from a job being created to a daemon acquiring it.',
      labelNames: ['provisioner', 'type'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    }),
    runSeconds: new Histogram({
      name: 'coderd_provisioner_job_run_seconds',
      help: 'Time from a job being acquired to its completion, by final status.',
      labelNames: ['provisioner', 'type', 'status'],
      buckets: [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    timeToReady: new Histogram({
      name: 'coderd_prebuilt_workspaces_time_to_ready_seconds',
      help: "Time from a prebuilt workspace's creation job starting to the prebuild being eligible for claims (build succeeded, every agent ready), per preset; observed when it becomes eligible.",
      labelNames: ['template_name', 'preset_name', 'organization_name'],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600],
      registers,
      // Observed through observeSeries: a preset's series shows at 0 in one scrape before its
      // first observation, so increase() of _count sees its first ready prebuild.
      collect() {
        releaseHeldObservations(this);
      },
    }),
    creationSeconds: new Histogram({
      name: 'coderd_workspace_creation_duration_seconds',
      help: 'Time to create a workspace by organization, template, preset, and type (regular or prebuild).',
      labelNames: ['organization_name', 'template_name', 'preset_name', 'type'],
      // Coder's buckets (provisionerdserver metrics).
      buckets: [1, 10, 30, 60, 300, 600, 1800, 3600],
      registers,
    }),
    setQueueDepthSource: (source) => {
      depthSource = source;
    },
  };
  new Gauge({
    name: 'coderd_provisioner_job_queue_depth',
    help: 'Unfinished provisioner jobs by provisioner and status (pending, running, canceling), read from the database at scrape.',
    labelNames: ['provisioner', 'status'],
    registers,
    async collect() {
      if (!depthSource) return;
      let rows: Awaited<ReturnType<QueueDepthSource>>;
      try {
        rows = await depthSource();
      } catch {
        // A scrape during a database outage keeps the last values rather than failing /metrics.
        return;
      }
      this.reset();
      for (const provisioner of ['echo', 'exec']) {
        for (const status of UNFINISHED_STATUSES) this.set({ provisioner, status }, 0);
      }
      for (const row of rows)
        this.set({ provisioner: row.provisioner, status: row.status }, row.jobs);
    },
  });
  // Every known label combination at 0, so the first event of each is an increase.
  const jobs = combinations({ provisioner: PROVISIONER_TYPES, type: JOB_TYPES });
  for (const counter of [metrics.acquired, metrics.completed, metrics.canceled, metrics.reaped]) {
    zeroSeries(counter, jobs);
  }
  zeroSeries(
    metrics.failed,
    combinations({
      provisioner: PROVISIONER_TYPES,
      type: JOB_TYPES,
      error_code: Object.values(JOB_ERROR_CODES),
    }),
  );
  zeroSeries(
    metrics.enqueued,
    combinations({
      provisioner_type: PROVISIONER_TYPES,
      build_reason: BUILD_REASONS,
      transition: TRANSITIONS,
      status: ['success', 'failed'],
    }),
  );
  byRegistry.set(registry, metrics);
  return metrics;
}
