import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_ENTRIES } from '../../scripts/entries.mjs';

// Issue 26: the API documentation is generated from the TSDoc (`npm run docs:api`, TypeDoc with typedoc.json),
// one module per package entry, and a broken `{@link}` or a public signature naming an unexported type fails it
// (treatWarningsAsErrors with TypeDoc's validation).

const root = process.cwd();
const typedoc = (args: string[], cwd = root) =>
  spawnSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
let out: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'api-docs-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run docs:api', () => {
  it('builds the reference of every entry from the TSDoc with no warning', () => {
    const result = typedoc(['--options', 'typedoc.json', '--out', join(out, 'site')]);
    expect(result.stdout + result.stderr, `exit ${result.status}`).not.toMatch(/warning|error/i);
    expect(result.status).toBe(0);
    const index = readFileSync(join(out, 'site', 'index.html'), 'utf8');
    for (const name of ['@llmkg/production', ...TASK_ENTRIES.map((n) => `@llmkg/production/${n}`)]) expect(index, name).toContain(name);
    expect(existsSync(join(out, 'site', 'functions'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['docs:api']).toBe('typedoc');
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toContain('api-docs/');
  }, 250_000);

  it('fails on a broken link, with the options of typedoc.json', () => {
    const project = mkdtempSync(join(out, 'broken-'));
    writeFileSync(join(project, 'entry.ts'), '/** Reads {@link NoSuchThing}. */\nexport const value = 1;\n');
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, files: ['entry.ts'] }));
    const options = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      join(project, 'typedoc.json'),
      JSON.stringify({ ...options, entryPoints: ['entry.ts'], tsconfig: 'tsconfig.json', out: 'site' }),
    );
    const result = typedoc(['--options', 'typedoc.json'], project);
    expect(result.stdout + result.stderr).toContain('NoSuchThing');
    expect(result.status).not.toBe(0);
  }, 120_000);
});
