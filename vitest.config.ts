import { defineConfig } from 'vitest/config';

// Worker threads load compiled files from dist/ (see src/worker-url.ts), so `npm test`
// builds first. Tests that start many workers are CPU-heavy on a 2-core machine: run files
// one at a time within a fork pool of two, and give cross-thread tests room to finish.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
