import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../support/helpers.js';

// Issue 26: every code block of the README and docs/*.md whose fence says `runnable` (```ts runnable or
// ```js runnable, docs/development.md) is type-checked against the built package's declarations and run with
// node, importing `@llmkg/production` as an application does (linked into a project's node_modules). A block
// passes when it exits 0 within its time limit and prints what its `// prints: ...` comments say.

const root = process.cwd();
const RUN_LIMIT_MS = 30_000;

interface Block {
  readonly id: string;
  readonly lang: 'ts' | 'js';
  readonly code: string;
}

function runnableBlocks(): Block[] {
  const files = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const blocks: Block[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const match of text.matchAll(/^```(ts|js) runnable\n([\s\S]*?)^```$/gm)) {
      const line = text.slice(0, match.index).split('\n').length;
      blocks.push({ id: `${file}:${line}`, lang: match[1] as 'ts' | 'js', code: match[2]! });
    }
  }
  return blocks;
}

/** What a block says it prints: the text after `// prints:` on any of its lines. */
function expectedOutput(code: string): string[] {
  return [...code.matchAll(/\/\/ prints: (.+)$/gm)].map((m) => m[1]!.trim());
}

const blocks = runnableBlocks();
let project: string;
const fileOf = (block: Block, ext: string) => `${block.id.replace(/[^a-z0-9]+/gi, '-')}.${ext}`;

beforeAll(() => {
  requireBuild('dist/esm/index.js', 'dist/esm/entries/config.js');
  project = mkdtempSync(join(tmpdir(), 'runnable-docs-'));
  mkdirSync(join(project, 'node_modules', '@llmkg'), { recursive: true });
  symlinkSync(root, join(project, 'node_modules', '@llmkg', 'production'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'docs-snippets', private: true, type: 'module' }));
  for (const block of blocks) {
    writeFileSync(join(project, fileOf(block, block.lang === 'ts' ? 'mts' : 'mjs')), block.code);
    const js =
      block.lang === 'ts'
        ? ts.transpileModule(block.code, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText
        : block.code;
    writeFileSync(join(project, fileOf(block, 'run.mjs')), js);
  }
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      },
      include: ['*.mts'],
    }),
  );
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('runnable code blocks of the README and docs/', () => {
  it('are there: the README quick start and the upgrade notes at least', () => {
    expect(blocks.map((b) => b.id.split(':')[0])).toEqual(expect.arrayContaining(['README.md', 'docs/api.md']));
    for (const block of blocks) expect(expectedOutput(block.code).length, `${block.id} says what it prints`).toBeGreaterThan(0);
  });

  it('type-check against the built declarations', () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = spawnSync(
      process.execPath,
      [tsc, '-p', join(project, 'tsconfig.json'), '--typeRoots', join(root, 'node_modules/@types')],
      {
        cwd: project,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(result.stdout + result.stderr, 'tsc').toBe('');
    expect(result.status).toBe(0);
  }, 150_000);

  for (const block of blocks) {
    it(
      `${block.id} runs to the end within ${RUN_LIMIT_MS / 1000} s and prints what it says`,
      () => {
        const out = execFileSync(process.execPath, [fileOf(block, 'run.mjs')], {
          cwd: project,
          encoding: 'utf8',
          timeout: RUN_LIMIT_MS,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        });
        for (const line of expectedOutput(block.code)) expect(out, block.id).toContain(line);
      },
      RUN_LIMIT_MS + 10_000,
    );
  }
});
