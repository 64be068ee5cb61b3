import { z } from 'zod';

import { type Db, defineQuery } from '../db/sql-files.js';
import { observeSeries } from '../metrics/zero.js';
import type { JobMetrics } from './metrics.js';

const Ready = z.object({
  template_name: z.string(),
  preset_name: z.string(),
  organization_name: z.string(),
  seconds: z.number(),
});
export type PrebuildReady = z.infer<typeof Ready>;

const becameReady = defineQuery<{ build_id: string; now: Date }, typeof Ready>(
  'PrebuildBecameReady',
  Ready,
);

/**
 * Called right after agents of a build were marked ready at `now` (job completion, the echo
 * provisioner's delayed readiness, an agent's report): the prebuild that this made eligible for
 * claims, with the seconds since its creation job started; null when it made none eligible.
 */
export function prebuildBecameReady(
  db: Db,
  buildId: string,
  now: Date,
): Promise<PrebuildReady | null> {
  return becameReady.maybeOne(db, { build_id: buildId, now });
}

/** Counts a prebuild that became eligible into the per-preset time-to-ready histogram. */
export function observeTimeToReady(
  metrics: JobMetrics | undefined,
  ready: PrebuildReady | null | undefined,
): void {
  if (!metrics || !ready) return;
  observeSeries(
    metrics.timeToReady,
    {
      template_name: ready.template_name,
      preset_name: ready.preset_name,
      organization_name: ready.organization_name,
    },
    Math.max(0, ready.seconds),
  );
}
