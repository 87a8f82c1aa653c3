import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // --expose-gc: the finalizer / flat-memory tests call gc() to make their measurements meaningful.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
