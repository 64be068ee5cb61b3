import { histogramOf } from './promql.js';

/** One metric family of a Prometheus text-format scrape. */
export interface Family {
  readonly name: string;
  type: string;
  help: string;
  readonly samples: { readonly series: string; readonly labels: Record<string, string> }[];
}

function family(families: Map<string, Family>, name: string): Family {
  let found = families.get(name);
  if (!found) {
    found = { name, type: 'untyped', help: '', samples: [] };
    families.set(name, found);
  }
  return found;
}

/** Parses the text exposition format (what /metrics serves) into families with their samples. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      const entry = family(families, name!);
      if (kind === 'TYPE') entry.type = rest!;
      else entry.help = rest!;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!sample) continue;
    const [, series, body] = sample;
    const labels: Record<string, string> = {};
    for (const match of (body ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[match[1]!] = match[2]!;
    }
    // A histogram's _bucket/_sum/_count samples belong to the histogram's family.
    const base = histogramOf(series!);
    const owner =
      families.get(series!) ??
      (base !== undefined ? families.get(base) : undefined) ??
      family(families, series!);
    owner.samples.push({ series: series!, labels });
  }
  return families;
}
