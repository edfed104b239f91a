import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { productionConfigSchema } from '../../src/entries/config.js';
import { ROOT, requireBuild } from '../support/helpers.js';

// The JSON Schema shipped in the package (dist/config.schema.json, written by the build from the zod schemas)
// and the zod schemas must accept and refuse the same files. Cross-field checks (minLimit <= initialLimit, a
// rate rule's windowMs, unique alert names, ...) are zod's alone: JSON Schema cannot say them, so the samples
// here stay clear of them, and the docs say the editor's check is the first pass, the start's the last.
let validate: (value: unknown) => boolean;

beforeAll(() => {
  requireBuild('dist/config.schema.json');
  const schema = JSON.parse(readFileSync(join(ROOT, 'dist/config.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  const compiled = ajv.compile(schema);
  validate = (value) => compiled(value);
});

const zodAccepts = (value: unknown): boolean => {
  const { $schema: _ignored, ...rest } = value as Record<string, unknown>;
  return productionConfigSchema.safeParse(rest).success;
};

const VALID: unknown[] = [
  {},
  { $schema: './node_modules/@llmkg/production/dist/config.schema.json' },
  { monitoring: { logLevel: 'debug', alertRules: [{ name: 'Slow', metric: 'production.operation.duration', threshold: 1 }] } },
  { rateLimiting: { global: { algorithm: 'token_bucket', capacity: 100, refillPerSecond: 50 }, perUser: null } },
  { rateLimiting: { store: { type: 'redis', url: 'redis://127.0.0.1:6379' } } },
  { overload: { concurrency: { initialLimit: 20, maxLimit: 200 }, signals: { eventLoopDelayP99Ms: 100 } } },
  { dependencies: { db: { retryBudget: { ratio: 0.1 }, throttle: { k: 2 } } } },
  {
    defaults: { timeoutMs: 2000, retry: { maxRetries: 2 }, criticality: 'critical' },
    operations: {
      search: {
        retry: false,
        circuitBreaker: { failureThreshold: 3 },
        bulkhead: { maxConcurrent: 10 },
        rateLimit: { algorithm: 'sliding_window', limit: 10, windowMs: 1000 },
        concurrency: false,
        criticality: 'sheddable',
        dependency: 'db',
      },
    },
  },
  { shutdown: { signals: ['SIGTERM'], gracefulTimeoutMs: 10_000 }, admin: { port: 0, bearerToken: 'a-long-token' } },
  { healthChecks: { components: { engine: { intervalMs: 1000 } } }, deadlines: { marginMs: 5 } },
];

const INVALID: unknown[] = [
  { bogus: 1 },
  { monitoring: { logLevel: 'loud' } },
  { monitoring: { unknown: true } },
  { rateLimiting: { global: { algorithm: 'token_bucket', capacity: -1, refillPerSecond: 1 } } },
  { rateLimiting: { global: { algorithm: 'magic' } } },
  { resourceLimits: { maxActiveOperations: 1.5 } },
  { shutdown: { signals: ['SIGKILL'] } },
  { admin: { port: 70_000 } },
  { admin: { bearerToken: 'short' } },
  { operations: { search: { retry: { retryOn: 'always' } } } },
  { operations: { search: { timeoutMs: 'soon' } } },
  { operations: { search: { unknown: 1 } } },
  { operations: { ['x'.repeat(300)]: {} } },
  { defaults: { rateLimit: { algorithm: 'token_bucket', capacity: 1, refillPerSecond: 1 } } },
  { dependencies: { 'bad name': {} } },
  { monitoring: { alertmanager: { url: 'not a url' } } },
  { errorRecoveryEnabled: 'yes' },
  [],
  'text',
];

describe('the shipped JSON Schema of the configuration file', () => {
  it.each(VALID.map((v) => [JSON.stringify(v).slice(0, 80), v]))('accepts what zod accepts: %s', (_name, value) => {
    expect(zodAccepts(value)).toBe(true);
    expect(validate(value)).toBe(true);
  });

  it.each(INVALID.map((v) => [JSON.stringify(v).slice(0, 80), v]))('refuses what zod refuses: %s', (_name, value) => {
    expect(typeof value === 'object' && value !== null && !Array.isArray(value) && zodAccepts(value)).toBe(false);
    expect(validate(value)).toBe(false);
  });

  it('agrees with zod on arbitrary values at every kind of field', () => {
    // Leaves without cross-field checks, each given arbitrary JSON (mostly wrong, sometimes right).
    const place = (path: readonly string[], value: unknown): Record<string, unknown> =>
      path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
    const paths = fc.constantFrom<readonly string[]>(
      ['monitoring', 'logLevel'],
      ['monitoring', 'exemplars'],
      ['rateLimiting', 'perUser'],
      ['rateLimiting', 'maxTrackedUsers'],
      ['resourceLimits', 'maxCpuPercent'],
      ['shutdown', 'signals'],
      ['deadlines', 'marginMs'],
      ['errorRecoveryEnabled'],
      ['operations', 'search', 'retry'],
      ['operations', 'search', 'bulkhead'],
      ['operations', 'search', 'criticality'],
      ['operations', 'search', 'rateLimit'],
      ['defaults', 'timeoutMs'],
      ['dependencies', 'db', 'throttle'],
      ['overload', 'defaultCriticality'],
      ['monitoring', 'unknownSetting'],
    );
    const values = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        'debug',
        'sheddable',
        false,
        true,
        0,
        5,
        1e12,
        -1,
        ['SIGTERM'],
        { maxConcurrent: 3 },
        { algorithm: 'fixed_window', limit: 2, windowMs: 10 },
      ),
    );
    fc.assert(
      fc.property(paths, values, (path, value) => {
        const doc = place(path, value);
        expect(validate(doc)).toBe(zodAccepts(doc));
      }),
      { numRuns: 400 },
    );
  });
});
