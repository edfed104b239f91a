// The status page's browser script, src/http/status-page/page.ts, compiled and inlined into the page: used by
// scripts/build.mjs on the emitted dist/ files and by vitest.config.mts on the sources, so the tests that run
// the sources serve the same page as the build.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The page script's own tsconfig: DOM types, no Node. */
export const PAGE_TSCONFIG = join(ROOT, 'src/http/status-page/tsconfig.json');
const PAGE_SOURCE = join(ROOT, 'src/http/status-page/page.ts');
/** The page script's files, in order: script files (no import or export) whose names page.ts uses, then page.ts. */
const PAGE_SOURCES = [join(ROOT, 'src/http/status-page/format.ts'), join(ROOT, 'src/http/status-page/charts.ts'), PAGE_SOURCE];
/** The literals in src/http/status-page.ts that the compiled script and its CSP hash source replace. */
const PLACEHOLDERS = { script: '__STATUS_PAGE_SCRIPT__', hash: '__STATUS_PAGE_SCRIPT_HASH__' };

/**
 * Compiles charts.ts then page.ts with their tsconfig's options (types are checked separately: `tsc -p` that
 * tsconfig) into one classic script: page.ts's type-only import is erased, and the body runs in a strict
 * function scope so its names stay out of the page's globals, as they were in the module.
 * @param source a page script's TypeScript to compile alone (default: the files as they are on disk)
 * @returns the script text and its CSP source, `'sha256-…'`
 */
export function compileStatusPageScript(source) {
  const sources = source === undefined ? PAGE_SOURCES.map((file) => [file, readFileSync(file, 'utf8')]) : [[PAGE_SOURCE, source]];
  const ts = createRequire(import.meta.url)('typescript');
  const config = ts.getParsedCommandLineOfConfigFile(
    PAGE_TSCONFIG,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  const parts = sources.map(([fileName, text]) => {
    const { outputText } = ts.transpileModule(text, { compilerOptions: { ...config.options, noEmit: false }, fileName });
    const part = outputText.replace(/^export \{\};\s*$/m, '').trim();
    if (/^\s*(import|export)\b/m.test(part))
      throw new Error(`${fileName}: the page script may import types only (it runs as one inline script)`);
    return part;
  });
  const body = parts.join('\n');
  const script = `(function () {\n'use strict';\n${body}\n})();`;
  // The HTML parser ends the <script> element at the first "</script", whatever the JavaScript around it means.
  if (/<\/script|<!--/i.test(script))
    throw new Error(`${PAGE_SOURCE}: the compiled script contains "</script" or "<!--", which would break out of the inline <script>`);
  return { script, hash: `'sha256-${createHash('sha256').update(script).digest('base64')}'` };
}

/**
 * `code` (src/http/status-page.ts, or what tsc emitted from it) with the compiled script and its hash in place
 * of the placeholders; throws when a placeholder is not there, so the page never ships without its script.
 */
export function inlineStatusPageScript(code, file, compiled = compileStatusPageScript()) {
  let out = code;
  for (const [key, placeholder] of Object.entries(PLACEHOLDERS)) {
    const literal = new RegExp(`(['"])${placeholder}\\1`, 'g');
    const found = out.match(literal)?.length ?? 0;
    if (found !== 1)
      throw new Error(
        `${file}: expected the literal '${placeholder}' once, found it ${found} times; update scripts/status-page-script.mjs with the source`,
      );
    // One line whatever the script holds, so the file's source map still fits.
    out = out.replace(literal, () => JSON.stringify(compiled[key]));
  }
  return out;
}
