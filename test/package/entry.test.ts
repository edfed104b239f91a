import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TASK_ENTRIES } from '../../scripts/entries.mjs';
import { requireBuild } from '../support/helpers.js';

// A consumer project in a temp dir with the package linked into its node_modules, as `npm install` would:
// it proves the built package, its `exports` map and its declarations, not our source tree.
const root = process.cwd();
let consumer: string;
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: consumer, encoding: 'utf8' }).trim();

describe('package entry points', () => {
  beforeAll(() => {
    requireBuild();
    consumer = mkdtempSync(join(tmpdir(), 'production-consumer-'));
    mkdirSync(join(consumer, 'node_modules', '@llmkg'), { recursive: true });
    symlinkSync(root, join(consumer, 'node_modules', '@llmkg', 'production'), 'dir');
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    for (const file of ['consumer.mts', 'consumer.cts', 'tsconfig.json']) {
      copyFileSync(join(root, 'test/package/fixtures', file), join(consumer, file));
    }
  });

  it('loads with require() (CommonJS)', () => {
    const out = node([
      '-e',
      "const p = require('@llmkg/production'); const e = new p.RateLimitedError('user', 5); console.log(typeof p.createProductionSystem, e.code, e instanceof p.ProductionError)",
    ]);
    expect(out).toBe('function RATE_LIMITED true');
  });

  it("maps the bundled entries' stack frames back to src/*.ts (--enable-source-maps), in both module kinds", () => {
    const fail = 'try { p.resolveConfig({ admin: { port: -1 } }, {}); } catch (e) { console.log(e.stack); }';
    const cjs = node(['--enable-source-maps', '-e', `const p = require('@llmkg/production/config'); ${fail}`]);
    const esm = node(['--enable-source-maps', '--input-type=module', '-e', `const p = await import('@llmkg/production/config'); ${fail}`]);
    for (const stack of [cjs, esm]) {
      expect(stack).toContain('admin.port');
      expect(stack).toContain(`${join(root, 'src', 'config.ts')}:`);
      expect(stack).toContain(`${join(root, 'src', 'internal', 'validation.ts')}:`);
    }
  });

  it("the exported schemas (their zod compiled into the bundle) compose, parse and match with the application's own zod", () => {
    const zod = JSON.stringify(createRequire(join(root, 'package.json')).resolve('zod'));
    const out = node([
      '-e',
      `const p = { ...require('@llmkg/production/http'), ...require('@llmkg/production/monitoring') }; const { z } = require(${zod});
      const app = z.object({ admin: p.adminServerConfigSchema, rules: z.array(p.alertRuleSchema).default([]) });
      const bad = app.safeParse({ admin: { port: 'x' } });
      console.log(JSON.stringify([
        app.parse({ admin: {} }).admin.port,
        p.adminServerConfigSchema instanceof z.ZodObject,
        bad.success, bad.error instanceof z.ZodError, bad.error.issues[0].path.join('.'), bad.error.issues[0].message,
        z.toJSONSchema(p.adminServerConfigSchema).type,
      ]))`,
    ]);
    expect(JSON.parse(out)).toEqual([9464, true, false, true, 'admin.port', 'Invalid input: expected number, received string', 'object']);
  });

  it('loads with import (ES modules), including the sdk entry', () => {
    const out = node([
      '--input-type=module',
      '-e',
      "import { createProductionSystem } from '@llmkg/production'; import { resolveConfig } from '@llmkg/production/config'; import { productionSdkConfig } from '@llmkg/production/sdk'; console.log(typeof createProductionSystem, resolveConfig({}, {}).admin.port, typeof productionSdkConfig)",
    ]);
    expect(out).toBe('function 9464 function');
  });

  it('loads every task entry of the exports map with import and require, each value from one entry only', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const entries = Object.keys(pkg.exports).filter((k) => !['./package.json', './config.schema.json', './register'].includes(k));
    expect(entries).toEqual(['.', ...TASK_ENTRIES.map((name) => `./${name}`), './sdk']);
    const specifiers = JSON.stringify(entries.map((e) => (e === '.' ? '@llmkg/production' : `@llmkg/production/${e.slice(2)}`)));
    const list = `const names = {}; for (const s of ${specifiers}) names[s] = Object.keys(LOAD(s)).sort(); console.log(JSON.stringify(names));`;
    const cjs = JSON.parse(node(['-e', list.replace('LOAD(s)', 'require(s)')])) as Record<string, string[]>;
    const esm = JSON.parse(node(['--input-type=module', '-e', list.replace('LOAD(s)', '(await import(s))')])) as Record<string, string[]>;
    expect(esm).toEqual(cjs);
    const owners = new Map<string, string[]>();
    for (const [entry, names] of Object.entries(cjs)) {
      expect(names.length, entry).toBeGreaterThan(0);
      for (const name of names) owners.set(name, [...(owners.get(name) ?? []), entry]);
    }
    expect([...owners].filter(([, where]) => where.length > 1)).toEqual([]);
  });

  it('ships type declarations that resolve for both module kinds', () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const typeRoots = join(root, 'node_modules/@types');
    expect(() =>
      execFileSync(process.execPath, [tsc, '-p', join(consumer, 'tsconfig.json'), '--typeRoots', typeRoots], {
        cwd: consumer,
        encoding: 'utf8',
      }),
    ).not.toThrow();
  });
});
