import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../util/paths.js';

/** The one version source: package.json's `version` (what `--version` and build_info report). */
export const VERSION: string = (() => {
  const text = readFileSync(join(packageRoot, 'package.json'), 'utf8');
  const version = (JSON.parse(text) as { version?: unknown }).version;
  if (typeof version !== 'string' || version === '') {
    throw new Error(`package.json in ${packageRoot} has no version`);
  }
  return version;
})();
