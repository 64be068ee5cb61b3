/** A preset as a workspace request chooses among them. */
export interface MatchablePreset {
  readonly id: string;
  readonly name: string;
  readonly isDefault: boolean;
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * The preset of a version whose parameters are the largest exact subset of the given ones (every
 * parameter of the preset is given with the same value), as Coder picks "the most specific
 * matching preset" when a request names parameters but no preset. A preset without parameters
 * matches nothing (it would match every request). Ties go to the default preset, then to the
 * first name, so the choice never depends on row order. Null when none matches.
 */
export function matchPresetByParameters<P extends MatchablePreset>(
  presets: readonly P[],
  given: Readonly<Record<string, string>>,
): P | null {
  let best: P | null = null;
  let bestSize = 0;
  for (const preset of presets) {
    const entries = Object.entries(preset.parameters);
    if (entries.length === 0) continue;
    const exact = entries.every(
      ([name, value]) => Object.hasOwn(given, name) && given[name] === value,
    );
    if (!exact) continue;
    const better =
      best === null ||
      entries.length > bestSize ||
      (entries.length === bestSize &&
        (preset.isDefault !== best.isDefault
          ? preset.isDefault
          : preset.name < best.name || (preset.name === best.name && preset.id < best.id)));
    if (better) {
      best = preset;
      bestSize = entries.length;
    }
  }
  return best;
}
