import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** `npm run test:soak`: the reliability suite alone, at the full figures (SOAK=1 scales the counts). */
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 300_000,
  },
});
