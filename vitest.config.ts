import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one Docker engine: files run one at a time to keep the
    // 2-core machine predictable; tests inside a file are sequential anyway.
    fileParallelism: false,
    // node:sqlite warns that it is experimental on Node 24; the line is noise in test output.
    execArgv: ['--disable-warning=ExperimentalWarning'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
