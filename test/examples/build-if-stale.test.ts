import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/helpers.js';

// Issue 21, finding 4: `npm start` rebuilt on every start (22-25 s to the first answer). It builds only when
// dist/ is missing or older than what the build reads. Tried on a copy of the script in a scratch repository
// whose scripts/build.mjs only notes that it ran and writes the entry files.

const scratch = mkdtempSync(join(tmpdir(), 'build-if-stale-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const FAKE_BUILD = `
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
appendFileSync('builds.log', 'built\\n');
for (const format of ['cjs', 'esm'])
  for (const entry of ['index', 'sdk/index', 'register/index']) {
    mkdirSync(\`dist/\${format}/\${entry}/..\`, { recursive: true });
    writeFileSync(\`dist/\${format}/\${entry}.js\`, '');
  }
`;

function run(): { builds: number; stderr: string } {
  const result = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: scratch, encoding: 'utf8', timeout: 30_000 });
  expect(result.status, result.stderr).toBe(0);
  let log = '';
  try {
    log = readFileSync(join(scratch, 'builds.log'), 'utf8');
  } catch {
    // never built
  }
  return { builds: log.split('\n').filter(Boolean).length, stderr: result.stderr };
}

describe('scripts/build-if-stale.mjs', () => {
  it('builds when dist/ is missing or older than src/, and not otherwise', () => {
    mkdirSync(join(scratch, 'scripts'), { recursive: true });
    mkdirSync(join(scratch, 'src/limits'), { recursive: true });
    copyFileSync(join(ROOT, 'scripts/build-if-stale.mjs'), join(scratch, 'scripts/build-if-stale.mjs'));
    writeFileSync(join(scratch, 'scripts/build.mjs'), FAKE_BUILD);
    const source = join(scratch, 'src/limits/token-bucket.ts');
    writeFileSync(source, 'export {};\n');
    const past = new Date(Date.now() - 60_000);
    utimesSync(source, past, past);
    utimesSync(join(scratch, 'scripts/build.mjs'), past, past);

    const first = run();
    expect(first.builds).toBe(1);
    expect(first.stderr).toContain('dist/cjs/index.js is missing');

    // Nothing changed: no build, nothing printed.
    expect(run()).toEqual({ builds: 1, stderr: '' });

    // A source newer than the build: one build, naming the file.
    const future = new Date(Date.now() + 60_000);
    utimesSync(source, future, future);
    const third = run();
    expect(third.builds).toBe(2);
    expect(third.stderr).toContain('src/limits/token-bucket.ts changed since the last build');
  });

  it('is what npm start and npm run demo run instead of a full build', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const name of ['start', 'demo']) {
      expect(scripts[name]).toMatch(/^node scripts\/build-if-stale\.mjs && /);
      expect(scripts[name]).not.toContain('npm run build');
    }
  });
});
