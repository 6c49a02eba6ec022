import { defineConfig } from 'vitest/config';

/**
 * Test files of pure functions (operators, tensors, analysis, importers, conventions, zoo graphs):
 * no server, worker pool, timer or process state, so they share one module graph instead of each
 * importing the whole source tree again (test/ops and test/tensor: 87 s → 21 s on the 2-vCPU
 * host; every file still runs on its own). The rest (servers, pools, CLI processes, browsers,
 * budgets) keep a fresh module graph per file.
 */
const PURE = ['test/ops/**/*.test.ts', 'test/tensor/**/*.test.ts', 'test/analysis/**/*.test.ts', 'test/graph/**/*.test.ts', 'test/conventions/**/*.test.ts', 'test/zoo/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // toEqual on typed arrays in a plain loop (vitest's own path took 3.9 s a million floats)
    setupFiles: ['test/setup/typed-array-equality.ts'],
    // under CI also a JSON report, from which .ci/run prints the plain "N passed, N failed" line
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.ci/vitest-report.json' },
    projects: [
      { extends: true, test: { name: 'pure', include: PURE, isolate: false } },
      { extends: true, test: { name: 'service', include: ['test/**/*.test.ts'], exclude: PURE } },
    ],
  },
});
