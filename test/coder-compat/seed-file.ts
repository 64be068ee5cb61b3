import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { packageRoot } from '../../src/util/paths.js';

/** Where the seed is looked for when COMPAT_SEED_FILE is not set. */
export const SEED_DIR = resolve(packageRoot, '..', 'shared', 'seeds');

/**
 * Coder's prebuilds.sql (the seed the project was created from): COMPAT_SEED_FILE when set,
 * otherwise ../shared/seeds/004_*.txt beside the checkout (present in the project's workspace and
 * CI, absent from a user's clone). Never copied into this repository. Null when not found.
 */
export function findCoderSeed(env: NodeJS.ProcessEnv = process.env): string | null {
  const given = env.COMPAT_SEED_FILE;
  if (given) return existsSync(given) ? resolve(given) : null;
  try {
    const file = readdirSync(SEED_DIR).find((name) => /^004_.*\.txt$/.test(name));
    return file ? join(SEED_DIR, file) : null;
  } catch {
    return null;
  }
}
