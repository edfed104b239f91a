// The package's subpath entries by task: `@llmkg/production/<name>` is src/entries/<name>.ts, built to
// dist/{esm,cjs}/entries/<name>.js (bundled, scripts/bundle-entries.mjs) with its declarations beside it, and
// reported in api/production-<name>.api.md. package.json's `exports` and `files` list the same names
// (test/package/api-report.test.ts checks that they agree).
export const TASK_ENTRIES = [
  'health',
  'limits',
  'overload',
  'recovery',
  'deadlines',
  'outgoing',
  'monitoring',
  'shutdown',
  'http',
  'config',
  'testing',
];
