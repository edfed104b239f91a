import { defineConfig } from 'vitest/config';
import { inlineStatusPageScript } from './scripts/status-page-script.mjs';

// Tests that drive real processes at a measured load (overload at 3x capacity, a retry storm, a deadline across
// three services) assert throughput and latency figures: they run after every other file, one at a time, so the
// rest of the suite does not share the 2 cores with them.
const LOAD_TESTS = [
  'test/overload/real-overload.test.ts',
  'test/overload/cpu-overload.test.ts',
  'test/deadlines/chain.test.ts',
  'test/deadlines/retry-storm.test.ts',
  'test/recovery/hedging-real.test.ts',
];

export default defineConfig({
  plugins: [
    {
      // The status page's script is inlined by the build (scripts/build.mjs); tests that import the sources get
      // the same page through this transform.
      name: 'inline-status-page-script',
      enforce: 'pre',
      transform(code, id) {
        return id.endsWith('/src/http/status-page.ts') ? { code: inlineStatusPageScript(code, id), map: null } : undefined;
      },
    },
  ],
  test: {
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: LOAD_TESTS, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'load', include: LOAD_TESTS, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // An unhandled rejection anywhere fails the run (vitest's default; kept explicit).
    dangerouslyIgnoreUnhandledErrors: false,
    pool: 'forks',
    // The JSON summary lets .ci/run print one plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
    // `npm run coverage` (and `npm test`) measure the sources the tests run in-process. Tests that spawn a
    // child process run the built dist/ and are not counted; the browser script runs in Chromium.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/http/status-page/**'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
      // Lines as the issue asks; the others a few points under what the suite measured (92.6 % lines, 90.6 %
      // statements, 85.2 % branches, 88.4 % functions), so a real drop fails and a reshuffle of src/ does not.
      thresholds: { lines: 90, statements: 88, branches: 82, functions: 85 },
    },
  },
});
