import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../support/helpers.js';

// ioredis is needed only by the Redis stores: it is loaded when one is configured, and an application that
// keeps its limits in memory runs without it installed. Proven on the BUILT package, in a consumer project
// whose node_modules holds every dependency but ioredis.
const root = process.cwd();
let consumer: string;
const node = (cwd: string, args: string[]) => execFileSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 30_000 }).trim();

const REDIS_CONFIG =
  "{ perUser: { algorithm: 'token_bucket', capacity: 5, refillPerSecond: 1 }, store: { type: 'redis', url: 'redis://127.0.0.1:1' } }";

beforeAll(() => {
  requireBuild('dist/cjs/index.js', 'dist/cjs/entries/limits.js');
  consumer = mkdtempSync(join(tmpdir(), 'production-no-ioredis-'));
  const modules = join(consumer, 'node_modules');
  const ours = join(modules, '@llmkg', 'production');
  mkdirSync(ours, { recursive: true });
  // A copy, not a link: a link would resolve ioredis from our own node_modules.
  cpSync(join(root, 'dist'), join(ours, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(ours, 'package.json'));
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === 'ioredis' || entry === '@llmkg' || entry.startsWith('.')) continue;
    symlinkSync(join(root, 'node_modules', entry), join(modules, entry), 'dir');
  }
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
});
afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

describe('ioredis is optional and loaded lazily', () => {
  it('is not loaded by an application whose limits are in memory', () => {
    const out = node(root, [
      '-e',
      `const p = require('./dist/cjs/entries/limits.js');
       const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/ioredis/'));
       const m = new p.RateLimitingManager({ perUser: { algorithm: 'token_bucket', capacity: 5, refillPerSecond: 1 } }, {}, { metrics: false });
       m.checkRateLimit('op', 'alice');
       const before = loaded();
       const r = new p.RateLimitingManager(${REDIS_CONFIG}, {}, { metrics: false });
       // Loaded by the constructor itself, synchronously.
       console.log(before, loaded());
       void Promise.all([m.shutdown(), r.shutdown()]);`,
    ]);
    expect(out).toBe('false true');
  });

  it('without ioredis installed, a memory system runs and building a Redis store throws INVALID_CONFIG naming the package (ESM and CommonJS)', () => {
    const esm = node(consumer, [
      '--input-type=module',
      '-e',
      `import { createProductionSystem } from '@llmkg/production';
       import { RateLimitingManager } from '@llmkg/production/limits';
       const system = createProductionSystem({}, { rateLimiting: { perUser: { algorithm: 'token_bucket', capacity: 5, refillPerSecond: 1 } } }, { env: {}, startHealthChecks: false });
       const value = await system.executeProtectedOperation('op', 'alice', async () => 'ran');
       let failure;
       try {
         new RateLimitingManager(${REDIS_CONFIG}, {}, { metrics: false });
       } catch (error) {
         failure = error;
       }
       console.log(JSON.stringify([value, failure.code, failure.path, failure.message]));
       await system.shutdown();
       process.exit(0);`,
    ]);
    const [value, code, path, message] = JSON.parse(esm) as string[];
    expect(value).toBe('ran');
    expect([code, path]).toEqual(['INVALID_CONFIG', 'rateLimiting.store']);
    expect(message).toContain('needs the optional peer dependency ioredis');
    expect(message).toContain('npm install ioredis');

    const cjs = node(consumer, [
      '-e',
      `const { RateLimitingManager } = require('@llmkg/production/limits');
       try {
         new RateLimitingManager(${REDIS_CONFIG}, {}, { metrics: false });
       } catch (e) {
         console.log(e.code, e.message.includes('npm install ioredis'));
       }`,
    ]);
    expect(cjs).toBe('INVALID_CONFIG true');
  });
});
