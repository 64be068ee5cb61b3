/**
 * Durations in the config and the CLI: `500ms`, `15s`, `1m`, `2h`, `7d`, or a sum such as `1h30m`.
 * Everything inside the controller is milliseconds.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/** Parses a duration; returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const input = text.trim();
  if (input === '') return undefined;
  if (input === '0') return 0;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const match = PART.exec(input);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return Math.round(total);
}

/** Formats milliseconds as the shortest exact duration text: 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit] as number;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return sign + out;
}
