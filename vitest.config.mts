import { defineConfig } from 'vitest/config';
import { inlineStatusPageScript } from './scripts/status-page-script.mjs';

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
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // An unhandled rejection anywhere fails the run (vitest's default; kept explicit).
    dangerouslyIgnoreUnhandledErrors: false,
    pool: 'forks',
    // The JSON summary lets .ci/run print one plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
  },
});
