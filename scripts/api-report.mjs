// The public API report: one `api/<entry>.api.md` per package entry point (`.`, the task entries, `./sdk`,
// `./register`), written
// by @microsoft/api-extractor from the built declarations (dist/esm, so run `npm run build` first).
//   node scripts/api-report.mjs           fails when the public surface differs from the reports (npm run api:check)
//   node scripts/api-report.mjs --update  rewrites the reports (npm run api:update); review and commit the diff
//   --reports <dir>                        compares with (or writes) the reports in <dir> instead of api/
//   --only <report>                        only that report (e.g. production.api.md)
// api-extractor analyses the .d.ts files with the TypeScript version it bundles; reading declarations needs no more.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { TASK_ENTRIES } from './entries.mjs';

const root = resolve(import.meta.dirname, '..');
const update = process.argv.includes('--update');
const reportsAt = process.argv.indexOf('--reports');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined;
const reportFolder = reportsAt > 0 ? resolve(process.argv[reportsAt + 1] ?? '') : join(root, 'api');
// The subpath entries by task (src/entries/*.ts, `@llmkg/production/<name>`); scripts/entries.mjs lists them.
const ENTRIES = [
  { entry: 'dist/esm/index.d.ts', report: 'production.api.md' },
  // A type a task entry's signatures use may come from the root entry instead (each name is listed once, and the
  // root keeps the types its own signatures use); any other type they use must be exported by the entry itself.
  ...TASK_ENTRIES.map((name) => ({ entry: `dist/esm/entries/${name}.d.ts`, report: `production-${name}.api.md`, typesFromRoot: true })),
  { entry: 'dist/esm/sdk/index.d.ts', report: 'production-sdk.api.md' },
  // Its system is the main entry's `StandardProductionSystem<Engine>`: the report notes those two as types of
  // another entry point instead of failing on them.
  { entry: 'dist/esm/register/index.d.ts', report: 'production-register.api.md', typesFromMain: true },
];

/** The names the root entry exports, values and types, read from its emitted declaration's export lists. */
function rootExports() {
  const file = join(root, 'dist/esm/index.d.ts');
  if (!existsSync(file)) return new Set();
  const names = new Set();
  for (const [, list] of readFileSync(file, 'utf8').matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const item of list.split(',')) {
      const name = item.trim().replace(/^type\s+/, '');
      if (name !== '') names.add(name);
    }
  }
  return names;
}
const fromRoot = rootExports();

const temp = mkdtempSync(join(tmpdir(), 'api-report-'));
let failed = false;
try {
  for (const { entry, report, typesFromMain, typesFromRoot } of ENTRIES.filter((e) => only === undefined || e.report === only)) {
    const mainEntryPointFilePath = join(root, entry);
    if (!existsSync(mainEntryPointFilePath)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: root,
        newlineKind: 'lf',
        mainEntryPointFilePath,
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2023', 'ESNext.Disposable'],
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              types: ['node'],
              skipLibCheck: true,
            },
            files: [mainEntryPointFilePath],
          },
        },
        apiReport: { enabled: true, reportFileName: report, reportFolder, reportTempFolder: temp },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: 'warning' } },
          extractorMessageReporting: {
            default: { logLevel: 'warning' },
            // One release level: everything exported is public, so no @public/@beta tags.
            'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
            // TSDoc links may name internals (`{@link ShutdownProgress}`): they explain, they are not API.
            'ae-unresolved-link': { logLevel: 'none', addToApiReportFile: false },
            // Members without TSDoc are marked "(undocumented)" in the report itself; the list of them by
            // declaration line would change the report whenever a line moves.
            'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
            // A type that a public signature uses must be exported too.
            'ae-forgotten-export': typesFromMain
              ? { logLevel: 'none', addToApiReportFile: true }
              : { logLevel: 'error', addToApiReportFile: false },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
      },
      configObjectFullPath: join(root, 'api', 'api-extractor.json'),
      packageJsonFullPath: join(root, 'package.json'),
    });
    const result = Extractor.invoke(config, {
      localBuild: update,
      messageCallback(message) {
        if (!typesFromRoot || message.messageId !== 'ae-forgotten-export') return;
        const symbol = /The symbol "([^"]+)"/.exec(message.text)?.[1];
        if (symbol === undefined || !fromRoot.has(symbol)) return;
        message.logLevel = 'none';
        message.handled = true;
      },
    });
    if (!result.succeeded) {
      failed = true;
      console.error(
        `api: ${report}: ${result.errorCount} errors, ${result.warningCount} warnings${result.apiReportChanged ? '; the public surface changed: run `npm run api:update`, review and commit api/' : ''}`,
      );
    } else if (update && result.apiReportChanged) {
      console.log(`api: ${report} updated`);
    }
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
if (failed) process.exit(1);
console.log(update ? 'api: reports written' : 'api: the public surface matches api/');
