import { defineConfig } from 'vitest/config';

import { SHARED_TEST_OPTIONS } from './vitest.config.js';

/**
 * `npm run test:coder-compat`: Coder's prebuilds.sql against our schema. Needs the seed
 * (../shared/seeds/004_*.txt or COMPAT_SEED_FILE), so it is not part of `npm test`; CI runs it.
 */
export default defineConfig({
  test: { ...SHARED_TEST_OPTIONS, include: ['test/coder-compat/**/*.test.ts'] },
});
