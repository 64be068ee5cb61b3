/**
 * What a benchmark database holds, derived from its workspace count. The shape follows what a
 * busy deployment looks like rather than a worst case: most workspaces belong to users and carry
 * a history of builds, a few percent are live prebuilds, and many were prebuilds once (claimed or
 * deleted), which is what the failure, backoff and metrics queries scan.
 */
export interface SeedShape {
  /** Total workspaces, deleted ones included. */
  readonly workspaces: number;
  /** Presets with prebuilds on active versions (4 per template; each template also has two older
   * versions with 4 presets each). */
  readonly presets: number;
  /** Desired prebuilds per preset (about that many are running). */
  readonly desired: number;
  /** Ready prebuilds of one extra preset that the claim benchmark consumes. */
  readonly claimPool: number;
  readonly users: number;
}

export function shapeFor(workspaces: number): SeedShape {
  return {
    workspaces,
    presets: Math.max(8, Math.round(workspaces / 100 / 4) * 4),
    desired: 3,
    claimPool: Math.max(100, Math.round(workspaces / 100)),
    users: Math.max(100, Math.round(workspaces / 100)),
  };
}

/** "100k" -> 100000. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!match) throw new Error(`size "${text}" must look like 1000, 10k or 1m`);
  const unit = { '': 1, k: 1_000, m: 1_000_000 }[(match[2] ?? '').toLowerCase()] ?? 1;
  return Math.round(Number(match[1]) * unit);
}

export function formatSize(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}m`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}
