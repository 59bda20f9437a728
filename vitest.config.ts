import { defineConfig } from 'vitest/config';

// forks, not threads: the wasm backend starts its own worker_threads pool, which must live in a
// real process; one file per fork keeps backends and kernel registries isolated between files.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
