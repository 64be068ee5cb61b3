import { assemble } from './assemble.js';
import { jobsDashboard } from './dashboards/jobs.js';
import { lifecycleDashboard } from './dashboards/lifecycle.js';
import { prebuildsDashboard } from './dashboards/prebuilds.js';
import type { Dashboard } from './model.js';

/** Every dashboard we ship, by its file name under grafana/dashboards/. */
export function buildDashboards(): Map<string, Dashboard> {
  return new Map([
    ['prebuild-pools.json', assemble(prebuildsDashboard)],
    ['lifecycle.json', assemble(lifecycleDashboard)],
    ['job-queue.json', assemble(jobsDashboard)],
  ]);
}
