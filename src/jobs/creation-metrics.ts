import type { FinishedJob } from './complete.js';
import type { JobMetrics } from './metrics.js';
import { SYSTEM_USER_ID } from './model.js';

/**
 * Coder's `coderd_workspace_creation_duration_seconds`: when a workspace's first build (a start)
 * succeeds, the time from the build's creation to now, as `type="prebuild"` for a prebuild's
 * creation and `type="regular"` for a user's workspace (Coder's Prebuilds dashboard compares the
 * two). Claims and later builds are not creations.
 */
export function observeCreation(
  metrics: JobMetrics | undefined,
  finished: FinishedJob,
  now: Date,
): void {
  const build = finished.build;
  if (!metrics || !build || finished.status !== 'succeeded') return;
  if (build.build_number !== 1 || build.transition !== 'start') return;
  metrics.creationSeconds.observe(
    {
      organization_name: build.organization_name,
      template_name: build.template_name,
      preset_name: build.preset_name,
      type: build.owner_id === SYSTEM_USER_ID ? 'prebuild' : 'regular',
    },
    Math.max(0, now.getTime() - build.build_created_at.getTime()) / 1000,
  );
}
