// Builds dist/cjs (CommonJS) and dist/esm (ES modules) with declarations, from the same sources, and inlines the
// status page's browser script (src/http/status-page/page.ts, checked against its own DOM-typed tsconfig), then
// bundles the three entry points so start-up loads a few files instead of every module (scripts/bundle-entries.mjs).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { bundleEntries } from './bundle-entries.mjs';
import { configJsonSchema } from './config-schema.mjs';
import { compileStatusPageScript, inlineStatusPageScript, PAGE_TSCONFIG } from './status-page-script.mjs';

const tsc = ['node_modules/typescript/bin/tsc'];
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [...tsc, '-p', PAGE_TSCONFIG], { stdio: 'inherit' });
const common = ['-p', 'tsconfig.build.json'];
execFileSync(process.execPath, [...tsc, ...common, '--module', 'commonjs', '--moduleResolution', 'node10', '--outDir', 'dist/cjs'], {
  stdio: 'inherit',
});
execFileSync(process.execPath, [...tsc, ...common, '--module', 'es2022', '--moduleResolution', 'bundler', '--outDir', 'dist/esm'], {
  stdio: 'inherit',
});
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
writeFileSync('dist/esm/package.json', JSON.stringify({ type: 'module' }) + '\n');

// src/internal/module-require.ts exports CommonJS's own `require`; an ES module has none, so its build gets
// the same export from createRequire(import.meta.url), which resolves from the same place.
const shim = 'dist/esm/internal/module-require.js';
const emitted = readFileSync(shim, 'utf8');
const line = 'export const moduleRequire = require;';
if (!emitted.includes(line)) throw new Error(`${shim}: expected "${line}" to replace; update scripts/build.mjs with the source`);
// On the same line, so the source map still fits (imports are hoisted wherever they stand).
writeFileSync(
  shim,
  emitted.replace(line, "import { createRequire } from 'node:module'; export const moduleRequire = createRequire(import.meta.url);"),
);

const page = compileStatusPageScript();
for (const format of ['cjs', 'esm']) {
  const file = `dist/${format}/http/status-page.js`;
  writeFileSync(file, inlineStatusPageScript(readFileSync(file, 'utf8'), file, page));
}

// Last: the bundle reads the finished ES-module build (the shim and the inlined page script included).
await bundleEntries();

// The configuration file's JSON Schema, from the zod schemas just built (exported as ./config.schema.json).
writeFileSync('dist/config.schema.json', JSON.stringify(configJsonSchema(), null, 2) + '\n');
