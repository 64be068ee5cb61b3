import { nextAllowedAutostart, tryParseAutostartSchedule } from './schedule.js';
import type { LifecycleBuild, LifecycleTemplate } from './types.js';

/**
 * The value to refresh `workspaces.next_start_at` with after a build finishes, or when the
 * scheduler finds it missing or stale. The autostart rule fires at
 * max(next fire after the latest stop build, next_start_at), so this counts from the latest build
 * when that build is a stop (a fire between the stop build's creation and its completion still
 * happens, and one missed while the controller was down still fires once) and from `now`
 * otherwise (a running workspace can only stop later).
 *
 * A schedule EDIT must instead store `nextAllowedAutostart(schedule, now)`: the next fire after the
 * edit, so a new schedule never starts a workspace at once for a time already past today.
 * Null when there is no (valid) schedule or it never fires on an allowed day.
 */
export function nextStartAtFor(
  autostartSchedule: string | null,
  template: Pick<LifecycleTemplate, 'autostartBlockDaysOfWeek'>,
  latestBuild: Pick<LifecycleBuild, 'transition' | 'createdAt'> | null,
  now: Date,
): Date | null {
  const schedule = tryParseAutostartSchedule(autostartSchedule);
  if (!schedule) return null;
  const from =
    latestBuild && latestBuild.transition === 'stop' && latestBuild.createdAt < now
      ? latestBuild.createdAt
      : now;
  return nextAllowedAutostart(schedule, from, template);
}
