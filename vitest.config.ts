import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Most suites wait on sockets, child processes and timers, not on the CPU: four workers on two
    // cores run the suite in about 60 % of the time two take.
    maxWorkers: 4,
    hookTimeout: 20_000,
    // The license invariant over the fault suites; a no-op for every other test file.
    setupFiles: ['test/faults/support/license-invariant.setup.ts'],
  },
});
