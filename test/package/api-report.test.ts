import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_ENTRIES } from '../../scripts/entries.mjs';

const root = process.cwd();
const check = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/api-report.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 });

describe('the curated public API', () => {
  let changed: string;

  beforeAll(() => {
    if (!existsSync(join(root, 'dist/esm/index.d.ts'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    changed = mkdtempSync(join(tmpdir(), 'api-reports-'));
  });
  afterAll(() => rmSync(changed, { recursive: true, force: true }));

  it('matches the reports in api/ (npm run api:check), one per entry point', () => {
    const tasks = TASK_ENTRIES.map((name) => `production-${name}.api.md`);
    expect(readdirSync(join(root, 'api')).sort()).toEqual(
      [...tasks, 'production-register.api.md', 'production-sdk.api.md', 'production.api.md'].sort(),
    );
    // One api-extractor run per entry point (14): about 30 s alone, more on a loaded machine.
    const result = check();
    expect(result.stdout + result.stderr, `exit ${result.status}`).toContain('the public surface matches api/');
    expect(result.status).toBe(0);
  }, 300_000);

  it('fails, saying how to update, when the surface differs from its report', () => {
    for (const file of readdirSync(join(root, 'api'))) copyFileSync(join(root, 'api', file), join(changed, file));
    const report = join(changed, 'production.api.md');
    const text = readFileSync(report, 'utf8');
    const line = 'export function isProductionError(error: unknown): error is ProductionError;\n';
    expect(text).toContain(line);
    writeFileSync(report, text.replace(line, ''));
    const result = check('--reports', changed, '--only', 'production.api.md');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('production.api.md');
    expect(result.stderr).toContain('npm run api:update');
  }, 150_000);

  it('lists every public name by name: no `export *` anywhere in src/', () => {
    const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('index.ts');
    for (const file of files) expect(readFileSync(join(root, 'src', file), 'utf8'), file).not.toMatch(/export\s+(type\s+)?\*/);
  });

  it('keeps internals out of the built entry points', () => {
    const require = createRequire(join(root, 'package.json'));
    const main = require('./dist/cjs/index.js') as Record<string, unknown>;
    for (const internal of [
      'DeadlineQueue',
      'AlertEngine',
      'telemetryHub',
      'OperationRecovery',
      'CircuitBreaker',
      'PermitPool',
      'TopK',
      'BoundedKeyMap',
      'LogSummarizer',
      'reportInternalError',
      'ATTR',
      'METRIC',
      'STATUS_PAGE_HTML',
      'parseSection',
      'toInvalidConfig',
    ]) {
      expect(main[internal], internal).toBeUndefined();
    }
    for (const user of [
      'createProductionSystem',
      'ProductionSystem',
      'createServerCloseHandler',
      'errorResponse',
      'isProductionError',
      'ERROR_CODES',
      'createExpressAdminMiddleware',
      'withOverloadGuard',
    ]) {
      expect(main[user], user).toBeDefined();
    }
    const entry = (name: string) => require(`./dist/cjs/entries/${name}.js`) as Record<string, unknown>;
    for (const [name, value] of [
      ['http', 'correlationIdFromHeaders'],
      ['limits', 'FallbackRateLimitStore'],
      ['health', 'HealthStatus'],
      ['shutdown', 'ShutdownPhase'],
      ['testing', 'systemClock'],
      ['config', 'resolveConfig'],
    ] as const) {
      expect(entry(name)[value], `${name}: ${value}`).toBeDefined();
      expect(main[value], `${value} is not in the root`).toBeUndefined();
    }
    for (const name of TASK_ENTRIES) {
      for (const internal of ['DeadlineQueue', 'AlertEngine', 'CircuitBreaker', 'PermitPool', 'OverloadManager', 'STATUS_PAGE_HTML']) {
        expect(entry(name)[internal], `${name}: ${internal}`).toBeUndefined();
      }
    }
    // The root entry's gate (issue 26): what a service needs to protect its calls and run the system, at most 40
    // runtime values (31 today; 125 before the task entries, 167 before the API was curated). The rest is in the
    // task entries, each value in one of them. A change here is a change of the reports too.
    expect(Object.keys(main).length).toBeLessThanOrEqual(40);
  });

  it('builds each task entry with the values its source lists', async () => {
    const require = createRequire(join(root, 'package.json'));
    for (const name of TASK_ENTRIES) {
      const source = (await import(`../../src/entries/${name}.ts`)) as Record<string, unknown>;
      const built = require(`./dist/cjs/entries/${name}.js`) as Record<string, unknown>;
      expect(Object.keys(built).sort(), name).toEqual(Object.keys(source).sort());
    }
  }, 60_000);

  it('lists the same task entries in the exports map, the files, the build and the reports', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; files: string[] };
    for (const name of TASK_ENTRIES) {
      expect(pkg.exports[`./${name}`], name).toEqual({
        import: { types: `./dist/esm/entries/${name}.d.ts`, default: `./dist/esm/entries/${name}.js` },
        require: { types: `./dist/cjs/entries/${name}.d.ts`, default: `./dist/cjs/entries/${name}.js` },
      });
      for (const format of ['esm', 'cjs'])
        expect(existsSync(join(root, `dist/${format}/entries/${name}.js`)), `${format}/${name}`).toBe(true);
    }
    expect(pkg.files).toContain('dist/*/entries/*.js');
    expect(readdirSync(join(root, 'src/entries')).sort()).toEqual(TASK_ENTRIES.map((name) => `${name}.ts`).sort());
  });
});
