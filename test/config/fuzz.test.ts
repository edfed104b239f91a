import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { resolveSources } from '../../src/entries/config.js';
import { createProductionSystem, type InvalidConfigError } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'config-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEYS = [
  'monitoring',
  'logLevel',
  'operations',
  'search',
  'defaults',
  'retry',
  'maxRetries',
  'rateLimit',
  'rateLimiting',
  'global',
  'admin',
  'port',
  'alertRules',
  'dependencies',
  '__proto__',
  'constructor',
  '$schema',
];
/** Documents near the real shape (known keys at random depths, arbitrary values), as YAML, JSON or raw text. */
const documents = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => ({ ext: '.json', text: JSON.stringify(v) })),
  fc
    .dictionary(
      fc.constantFrom(...KEYS),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom(...KEYS), fc.jsonValue({ maxDepth: 2 }))),
    )
    .map((v) => ({ ext: '.yaml', text: stringify(v) })),
  fc.string({ maxLength: 200 }).map((text) => ({ ext: '.yaml', text })),
  fc
    .constantFrom(
      'a: &x [*x]',
      'a: !!binary 123',
      'a: 1\na: 2',
      '{"a": 1, "a": 2}',
      '%YAML 9.9\n---\na: 1',
      'a: !custom x',
      '---\na: 1\n---\nb: 2',
    )
    .map((text) => ({ ext: '.yaml', text })),
);

function named(error: unknown): void {
  const e = error as InvalidConfigError;
  expect(e.code, String(error)).toBe('INVALID_CONFIG');
  expect(e.path.length).toBeGreaterThan(0);
  expect(e.message).toMatch(/Invalid config at \S+/);
}

describe('arbitrary configuration files', () => {
  it('never crash the start: each is resolved or refused with INVALID_CONFIG naming a path', () => {
    let n = 0;
    fc.assert(
      fc.property(documents, ({ ext, text }) => {
        const path = join(dir, `start-${n++}${ext}`);
        writeFileSync(path, text);
        try {
          resolveSources({}, { env: {}, configFile: path });
        } catch (error) {
          named(error);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never crash a reload: each is applied or rejected with a message naming a path, and the system keeps serving', async () => {
    const path = join(dir, 'reload.yaml');
    writeFileSync(path, 'monitoring:\n  logLevel: info\n');
    const system = createProductionSystem(
      {},
      { shutdown: { exitProcess: false } },
      { env: {}, configFile: path, watchConfigFile: false, startHealthChecks: false },
    );
    try {
      await fc.assert(
        fc.asyncProperty(documents, async ({ text }) => {
          writeFileSync(path, text);
          const result = system.reloadConfigFile();
          if (result.outcome === 'rejected') expect(result.message).toMatch(/Invalid config at \S+|cannot change at run time/);
          // A reload may have set a limit that refuses the call; it must not have broken the system.
          const served = await system
            .executeProtectedOperation('fuzz', undefined, () => Promise.resolve(1))
            .catch((e: { code?: string }) => e.code);
          expect([1, 'RATE_LIMITED', 'OVERLOADED', 'BULKHEAD_REJECTED']).toContain(served);
        }),
        { numRuns: 200 },
      );
    } finally {
      await system.shutdown();
    }
  });
});
