import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Integration tests share one real Temporal dev server; two workers keep the 2-core machine responsive.
    pool: 'forks',
    maxWorkers: 2,
    // Each worker runs its files one after another in one process, sharing loaded modules (the Temporal
    // SDK, express, the ledger): a fresh process per file cost seconds a file. So a test file closes
    // what it opens (stacks, servers, browsers, child processes) and changes no process-wide state.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
