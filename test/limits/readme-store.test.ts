import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../support/helpers.js';

// The "store of your own" example of docs/limits-and-stores.md is code users copy: it must compile against the built package's
// declarations (with a stand-in for the `pg` types, which we do not depend on).
const root = process.cwd();
let consumer: string | undefined;
afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

function readmeExample(): string {
  const readme = readFileSync(join(root, 'docs', 'limits-and-stores.md'), 'utf8');
  const at = readme.indexOf('A fixed window per key in PostgreSQL');
  expect(at).toBeGreaterThan(0);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block).not.toBeNull();
  return block![1]!;
}

describe('docs/limits-and-stores.md: a store of your own', () => {
  it('compiles against the package', () => {
    requireBuild('dist/esm/index.d.ts');
    consumer = mkdtempSync(join(tmpdir(), 'production-readme-store-'));
    mkdirSync(join(consumer, 'node_modules', '@llmkg'), { recursive: true });
    symlinkSync(root, join(consumer, 'node_modules', '@llmkg', 'production'), 'dir');
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(
      join(consumer, 'pg.d.ts'),
      `declare module 'pg' {
  class Pool { query(text: string, values?: unknown[]): Promise<{ rowCount: number | null }>; }
  const pg: { Pool: typeof Pool };
  namespace pg { type Pool = InstanceType<typeof Pool>; }
  export default pg;
}
`,
    );
    writeFileSync(join(consumer, 'example.mts'), `const engine = {};\n${readmeExample()}\nexport { system };\n`);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: ['pg.d.ts', 'example.mts'],
      }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(consumer, 'tsconfig.json')], { cwd: consumer, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  });
});
