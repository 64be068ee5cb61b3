import { configDefaults, defineConfig, type ViteUserConfig } from 'vitest/config';

/** Suites that need files outside this repository; each runs as its own npm script. */
export const OUTSIDE_SUITES = ['test/coder-compat/**'];

export const SHARED_TEST_OPTIONS: NonNullable<ViteUserConfig['test']> = {
  globalSetup: ['test/setup/global.ts'],
  pool: 'forks',
  testTimeout: 30_000,
  hookTimeout: 60_000,
  teardownTimeout: 30_000,
  reporters: ['default'],
};

export default defineConfig({
  test: {
    ...SHARED_TEST_OPTIONS,
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...OUTSIDE_SUITES],
  },
});
