import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The license invariant over the fault suites; a no-op for every other test file.
    setupFiles: ['test/faults/support/license-invariant.setup.ts'],
  },
});
