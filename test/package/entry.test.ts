import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// These run against the built package (`npm test` builds first), through its own name and `exports` map.
const root = process.cwd();
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

describe('package entry points', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/cjs/index.js')) || !existsSync(join(root, 'dist/esm/index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    }
  });

  it('loads with require() (CommonJS)', () => {
    const out = node(['-e', "const p = require('@llmkg/production'); const e = new p.RateLimitedError('user', 5); console.log(typeof p.ProductionSystem, e.code, e instanceof p.ProductionError)"]);
    expect(out).toBe('function RATE_LIMITED true');
  });

  it('loads with import (ES modules)', () => {
    const out = node(['--input-type=module', '-e', "import { ProductionSystem, resolveConfig } from '@llmkg/production'; console.log(typeof ProductionSystem, resolveConfig({}, {}).admin.port)"]);
    expect(out).toBe('function 9464');
  });

  it('ships type declarations that resolve for both module kinds', () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    expect(() => execFileSync(process.execPath, [tsc, '-p', join(root, 'test/package/fixtures/tsconfig.json')], { cwd: root, encoding: 'utf8' })).not.toThrow();
  });
});
