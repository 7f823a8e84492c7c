import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real sockets, files and worker threads: keep parallelism modest on a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
