import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/entries/config.js';
import { createProductionSystem, type InvalidConfigError, type ProductionConfigInput } from '../../src/index.js';
import { closestName, editDistance } from '../../src/internal/spelling.js';

// Issue 21, finding 8: config errors a newcomer met in the first hour.

const errorOf = (fn: () => unknown): InvalidConfigError => {
  try {
    fn();
  } catch (error) {
    return error as InvalidConfigError;
  }
  throw new Error('expected an INVALID_CONFIG error');
};

describe('config errors name where the bad value came from', () => {
  it('a code config missing a field names the code field, not a variable that was never set', () => {
    // As a JavaScript caller (or a config read from JSON) passes it: the type would have caught it in TypeScript.
    const input = { rateLimiting: { perUser: { algorithm: 'token_bucket', capacity: 20 } } } as unknown as ProductionConfigInput;
    const error = errorOf(() => resolveConfig(input, {}));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('rateLimiting.perUser.refillPerSecond');
    expect(error.message).not.toContain('PRODUCTION_');
  });

  it('a bad value from a variable still names the variable, and a code field that overrides it is blamed on the code', () => {
    expect(errorOf(() => resolveConfig({}, { PRODUCTION_RATE_LIMIT_USER_RPS: '-1' })).message).toContain(
      '(set by PRODUCTION_RATE_LIMIT_USER_RPS)',
    );
    const fromCode = errorOf(() =>
      resolveConfig(
        { rateLimiting: { perUser: { algorithm: 'token_bucket', capacity: 20, refillPerSecond: -1 } } },
        { PRODUCTION_RATE_LIMIT_USER_RPS: '5' },
      ),
    );
    expect(fromCode.message).toContain('rateLimiting.perUser.refillPerSecond');
    expect(fromCode.message).not.toContain('PRODUCTION_');
  });

  it('refuses PRODUCTION_TRACE_URL_TEMPLATE (or admin.traceUrlTemplate) without {traceId}', () => {
    const error = errorOf(() => resolveConfig({}, { PRODUCTION_TRACE_URL_TEMPLATE: 'http://localhost:16686/trace/' }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('admin.traceUrlTemplate');
    expect(error.message).toContain('{traceId}');
    expect(error.message).toContain('(set by PRODUCTION_TRACE_URL_TEMPLATE)');
    expect(errorOf(() => resolveConfig({ admin: { traceUrlTemplate: 'http://jaeger/trace' } }, {})).message).toContain('{traceId}');
    expect(resolveConfig({}, { PRODUCTION_TRACE_URL_TEMPLATE: 'http://localhost:16686/trace/{traceId}' }).admin.traceUrlTemplate).toBe(
      'http://localhost:16686/trace/{traceId}',
    );
  });
});

describe('misspelled PRODUCTION_* variables', () => {
  it('warn once at start with the closest known name; an unrelated PRODUCTION_* variable is left alone', async () => {
    const system = createProductionSystem(
      {},
      {},
      {
        env: { PRODUCTION_DEFUALT_TIMEOUT_MS: '500', PRODUCTION_LOG_LEVLE: 'debug', PRODUCTION_DATABASE_URL: 'postgres://db' },
        startHealthChecks: false,
        shutdown: { exit: () => undefined },
      },
    );
    try {
      const warnings = system.components.monitor.getRecentLogs({ component: 'config' });
      expect(warnings.map((w) => [w.level, w.message]).sort()).toEqual([
        ['warn', 'PRODUCTION_DEFUALT_TIMEOUT_MS is not a setting and is ignored: did you mean PRODUCTION_DEFAULT_TIMEOUT_MS?'],
        ['warn', 'PRODUCTION_LOG_LEVLE is not a setting and is ignored: did you mean PRODUCTION_LOG_LEVEL?'],
      ]);
      // The misspelled value was not applied.
      expect(system.config.errorRecovery.defaults.timeoutMs).toBe(resolveConfig({}, {}).errorRecovery.defaults.timeoutMs);
    } finally {
      await system.shutdown();
    }
  });

  it('edit distance counts an adjacent transposition as one edit', () => {
    expect(editDistance('DEFUALT', 'DEFAULT')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestName('PRODUCTION_REDIS_URI', ['PRODUCTION_REDIS_URL', 'PRODUCTION_ADMIN_TOKEN'], 3)).toBe('PRODUCTION_REDIS_URL');
    expect(closestName('PRODUCTION_DATABASE_URL', ['PRODUCTION_REDIS_URL'], 3)).toBeUndefined();
  });
});
