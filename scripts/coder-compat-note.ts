// The last step of `npm test`: one line on the Coder compatibility suite, which runs apart
// (`npm run test:coder-compat`) because it needs a file that a clone of this repository lacks.
import { relative } from 'node:path';

import { findCoderSeed, SEED_DIR } from '../test/coder-compat/seed-file.js';

const seed = findCoderSeed();
process.stdout.write(
  seed
    ? `Coder compatibility suite: not part of npm test; run "npm run test:coder-compat" (seed ${relative(process.cwd(), seed)})\n`
    : `Coder compatibility suite: not run (no Coder prebuilds.sql seed in ${SEED_DIR}; set COMPAT_SEED_FILE and run "npm run test:coder-compat")\n`,
);
