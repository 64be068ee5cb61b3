import { z } from 'zod';

import { defineQuery } from '../db/sql-files.js';
import type { FeatureFactory } from '../service/controller.js';
import type { Component } from '../service/component.js';
import { jobsApi } from './api.js';
import { createDaemonHost } from './host.js';
import { jobMetricsFor, setDefaultJobMetrics } from './metrics.js';
import { JobReaper } from './reaper.js';

const Depth = z.object({ provisioner: z.string(), status: z.string(), jobs: z.number() });
const countUnfinished = defineQuery<Record<string, never>, typeof Depth>(
  'CountUnfinishedProvisionerJobs',
  Depth,
);

/**
 * The provisioner job queue in `run`: an in-process provisioner daemon (unless
 * PREBUILD_CONTROLLER_PROVISIONER=none), the reaper of stale jobs, the job and agent API, and the
 * queue metrics.
 */
export const jobsFeature: FeatureFactory = (context) => {
  const { config, pool, listener, logger, clock, registry } = context;
  const metrics = jobMetricsFor(registry);
  metrics.setQueueDepthSource(() => countUnfinished.any(pool, {}));
  setDefaultJobMetrics(metrics);
  const components: Component[] = [];
  if (config.provisioner !== 'none') {
    components.push(
      createDaemonHost({
        db: pool,
        listener,
        logger,
        clock,
        config,
        provisioner: config.provisioner,
        tags: config.provisionerTags ?? {},
        concurrency: config.provisionerConcurrency,
        ...(config.provisionerName ? { name: config.provisionerName } : {}),
        metrics,
      }),
    );
  }
  components.push(
    new JobReaper({ db: pool, clock, logger, timeoutMs: config.jobReaperTimeout, metrics }),
  );
  return { components, api: [jobsApi({ db: pool, clock, metrics })] };
};
