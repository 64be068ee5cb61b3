import { formatDuration } from '../../util/duration.js';
import type { PresetRow, RunningPrebuild } from './types.js';

/**
 * Why a running prebuild is expired, or null when it is still valid: created before the preset
 * was invalidated, or older than the preset's TTL (when the TTL is > 0). The claim statement
 * applies the same rule, so an expired prebuild is never handed out.
 */
export function expiryReason(
  preset: PresetRow,
  prebuild: RunningPrebuild,
  now: Date,
): string | null {
  const created = prebuild.createdAt.getTime();
  if (preset.lastInvalidatedAt && created < preset.lastInvalidatedAt.getTime()) {
    return `invalidated: created ${prebuild.createdAt.toISOString()}, before the preset was invalidated at ${preset.lastInvalidatedAt.toISOString()}`;
  }
  const ttlMs = preset.ttlSecs * 1000;
  if (ttlMs > 0 && now.getTime() - created > ttlMs) {
    return `expired: created ${prebuild.createdAt.toISOString()}, older than the TTL of ${formatDuration(ttlMs)}`;
  }
  return null;
}
