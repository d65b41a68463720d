import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster`: the load and fault test on the cluster `npm run cluster` starts (PostgreSQL,
 * the full Temporal server, 2 APIs, 2 workers). Not part of `npm test`: .ci/run calls it after. It
 * starts its own cluster, so no global setup; one file, one fork.
 */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 1_200_000,
    hookTimeout: 600_000,
  },
});
