import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileStatusPageScript, inlineStatusPageScript } from '../../scripts/status-page-script.mjs';
import { join } from 'node:path';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from '../../src/http/status-page.js';
import { ROOT, requireBuild } from '../support/helpers.js';

// The status page's script is src/http/status-page/page.ts, compiled and inlined at build time with its hash
// in the CSP. The browser test (page.test.ts) runs it in Chromium; these check the build step itself.

const inlineScript = (html: string): string => /<script>([\s\S]*)<\/script>/.exec(html)![1]!;

describe('the status page script, built from its own source file', () => {
  it('is page.ts compiled into one classic script, and the CSP pins exactly it', () => {
    const { script, hash } = compileStatusPageScript();
    expect(inlineScript(STATUS_PAGE_HTML)).toBe(script);
    expect(STATUS_PAGE_CSP).toContain(`script-src ${hash};`);
    // A classic inline script: no module syntax left, its names in a function scope, strict as the module was.
    expect(script).not.toMatch(/^\s*(import|export)\b/m);
    expect(script.startsWith("(function () {\n'use strict';\n")).toBe(true);
    expect(script).toContain("const TOKEN_KEY = 'llmkg-admin-token';");
    expect(STATUS_PAGE_HTML).not.toContain('__STATUS_PAGE_SCRIPT');
  });

  it('is the same page in the built ES module and CommonJS packages', async () => {
    // The page is internal (not in the public API): read the built module that holds it.
    const module = 'http/status-page.js';
    requireBuild(`dist/esm/${module}`, `dist/cjs/${module}`);
    const esm = (await import(pathToFileURL(join(ROOT, 'dist/esm', module)).href)) as { STATUS_PAGE_HTML: string; STATUS_PAGE_CSP: string };
    const cjs = createRequire(import.meta.url)(join(ROOT, 'dist/cjs', module)) as { STATUS_PAGE_HTML: string; STATUS_PAGE_CSP: string };
    for (const built of [esm, cjs]) {
      expect(built.STATUS_PAGE_HTML).toBe(STATUS_PAGE_HTML);
      expect(built.STATUS_PAGE_CSP).toBe(STATUS_PAGE_CSP);
    }
  });

  it('the build step refuses a script that would break out of <script>, or that imports at run time', () => {
    expect(() => compileStatusPageScript("document.title = '</script><img src=x onerror=alert(1)>';")).toThrow(/"<\/script"/);
    expect(() => compileStatusPageScript("document.title = '<!--';")).toThrow(/"<!--"/);
    expect(() => compileStatusPageScript("import { x } from './x.js';\ndocument.title = x;")).toThrow(/may import types only/);
    expect(compileStatusPageScript("import type { X } from './x.js';\nconst t: X = 'a';\ndocument.title = t;").script).not.toContain(
      'import',
    );
  });

  it('the build step refuses a source whose placeholders are missing or repeated', () => {
    const source = "const SCRIPT: string = '__STATUS_PAGE_SCRIPT__';\nconst SCRIPT_HASH: string = '__STATUS_PAGE_SCRIPT_HASH__';\n";
    const compiled = { script: 'run();', hash: "'sha256-x'" };
    expect(inlineStatusPageScript(source, 'page.js', compiled)).toBe(
      'const SCRIPT: string = "run();";\nconst SCRIPT_HASH: string = "\'sha256-x\'";\n',
    );
    expect(() => inlineStatusPageScript(source.split('\n')[0]!, 'page.js', compiled)).toThrow(
      /__STATUS_PAGE_SCRIPT_HASH__' once, found it 0 times/,
    );
    expect(() => inlineStatusPageScript(source + source, 'page.js', compiled)).toThrow(/found it 2 times/);
  });
});
