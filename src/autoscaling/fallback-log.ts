import type { PresetPlan } from '../domain/prebuilds/plan.js';
import type { Logger } from '../log/logger.js';

/**
 * Logs autoscaling fallbacks once per change, not every pass: a warning when a preset's policy
 * starts failing or its reason changes, an info line when it recovers. Status, plan and the
 * gauges show the current reason at any time.
 */
export class FallbackLog {
  /** Preset id -> the reason last logged. */
  readonly #reasons = new Map<string, string>();

  report(plans: readonly PresetPlan[], log: Logger): void {
    for (const { preset, state } of plans) {
      const { target } = state;
      const failing =
        (target.source === 'expression_fallback' || target.source === 'forecast_fallback') &&
        target.error !== null;
      const previous = this.#reasons.get(preset.id);
      if (!failing) {
        if (previous !== undefined) {
          this.#reasons.delete(preset.id);
          log.info(
            { ...fields(preset), target_source: target.source, desired: state.desired },
            'autoscaling policy applies again',
          );
        }
        continue;
      }
      const reason = target.error;
      if (previous === reason) continue;
      this.#reasons.set(preset.id, reason);
      log.warn(
        {
          ...fields(preset),
          target_source: target.source,
          scheduled_target: target.scheduledTarget,
          error: reason,
        },
        'autoscaling policy failed: using the scheduled target',
      );
    }
    // Presets gone from the snapshot.
    const present = new Set(plans.map((plan) => plan.preset.id));
    for (const id of [...this.#reasons.keys()]) {
      if (!present.has(id)) this.#reasons.delete(id);
    }
  }
}

function fields(preset: PresetPlan['preset']) {
  return {
    preset_id: preset.id,
    preset: preset.name,
    template: preset.templateName,
    template_version: preset.templateVersionName,
  };
}
