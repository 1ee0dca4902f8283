import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Vitest's default is one worker less than the cores: one, on a 2-core machine. Most of a
    // test file's time here is waiting on sockets and child processes, so two files at once
    // halve the suite's wall time without starving either.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
