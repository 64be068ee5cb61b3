import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { packageRoot } from '../../src/util/paths.js';

export interface SeedQuery {
  readonly name: string;
  /** The query with sqlc parameters turned into $1..$n. */
  readonly text: string;
  /** Parameter names in placeholder order. */
  readonly params: readonly string[];
}

/**
 * The seed's prebuilds.sql (Coder's queries), read at bench time from BENCH_SEED_FILE or
 * ../shared/seeds/004_*.txt; never copied into this repository. Returns null when not found.
 */
export function findSeedFile(): string | null {
  const given = process.env.BENCH_SEED_FILE;
  if (given) return resolve(given);
  const dir = resolve(packageRoot, '..', 'shared', 'seeds');
  try {
    const file = readdirSync(dir).find((name) => /^004_.*\.txt$/.test(name));
    return file ? join(dir, file) : null;
  } catch {
    return null;
  }
}

/** Splits the file at its `-- name: X :kind` lines; sqlc's `@p` and `sqlc.narg('p')` become `$n`. */
export function parseSeedQueries(path: string): SeedQuery[] {
  const source = readFileSync(path, 'utf8');
  const markers = [...source.matchAll(/^-- name: (\w+) :\w+\s*$/gm)];
  return markers.map((marker, i) => {
    const start = (marker.index ?? 0) + marker[0].length;
    const end = markers[i + 1]?.index ?? source.length;
    // Comments between queries (the next query's header) end up in this body; they are harmless.
    let body = source.slice(start, end).trim();
    const semicolon = body.lastIndexOf(';');
    if (semicolon !== -1) body = body.slice(0, semicolon);
    const params: string[] = [];
    const index = (name: string) => {
      if (!params.includes(name)) params.push(name);
      return `$${params.indexOf(name) + 1}`;
    };
    const text = body
      .replace(/sqlc\.narg\('(\w+)'\)/g, (_m, name: string) => index(name))
      .replace(/@(\w+)/g, (_m, name: string) => index(name));
    return { name: marker[1] as string, text, params };
  });
}
