import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_SETTINGS, resolveConfig } from '../../src/entries/config.js';
import type { InvalidConfigError } from '../../src/index.js';

describe('resolveConfig', () => {
  it('fills documented defaults', () => {
    const config = resolveConfig({}, {});
    expect(config.errorRecoveryEnabled).toBe(true);
    expect(config.errorRecovery.defaults.retry).toMatchObject({
      maxRetries: 3,
      baseDelayMs: 100,
      maxDelayMs: 10_000,
      backoffMultiplier: 2,
      jitterFactor: 0.1,
    });
    expect(config.errorRecovery.defaults.circuitBreaker).toMatchObject({
      mode: 'consecutive',
      failureThreshold: 5,
      recoveryTimeoutMs: 30_000,
    });
    expect(config.rateLimiting.global).toBeNull();
    expect(config.resourceLimits.maxActiveOperations).toBe(1000);
    expect(config.admin).toMatchObject({ host: '127.0.0.1', port: 9464 });
    expect(config.shutdown.signals).toEqual(['SIGTERM', 'SIGINT']);
  });

  it('names the path of a bad field', () => {
    const attempt = (input: unknown) => {
      try {
        resolveConfig(input as never, {});
      } catch (error) {
        return error as InvalidConfigError;
      }
      throw new Error('expected INVALID_CONFIG');
    };
    expect(attempt({ rateLimiting: { global: { algorithm: 'token_bucket', capacity: -1, refillPerSecond: 1 } } })).toMatchObject({
      code: 'INVALID_CONFIG',
      path: 'rateLimiting.global.capacity',
    });
    expect(attempt({ errorRecovery: { defaults: { retry: { jitterFactor: 2 } } } }).path).toBe('errorRecovery.defaults.retry.jitterFactor');
    expect(attempt({ monitoring: { logLevel: 'loud' } }).path).toBe('monitoring.logLevel');
    expect(attempt({ shutdown: { gracefulTimeoutMs: 'soon' } }).path).toBe('shutdown.gracefulTimeoutMs');
    expect(attempt({ healthChecks: { typo: true } }).message).toContain('healthChecks');
    expect(attempt('not an object').path).toBe('(root)');
  });

  it('applies PRODUCTION_* variables over defaults, and code over variables', () => {
    const env = { PRODUCTION_LOG_LEVEL: 'debug', PRODUCTION_MAX_ACTIVE_OPERATIONS: '50', PRODUCTION_RATE_LIMIT_USER_RPS: '0.5' };
    const config = resolveConfig({ resourceLimits: { maxActiveOperations: 7 } }, env);
    expect(config.monitoring.logLevel).toBe('debug');
    expect(config.resourceLimits.maxActiveOperations).toBe(7);
    expect(config.rateLimiting.perUser).toEqual({ algorithm: 'token_bucket', capacity: 1, refillPerSecond: 0.5 });
  });

  it('names the variable of a bad env value', () => {
    expect(() => resolveConfig({}, { PRODUCTION_MAX_ACTIVE_OPERATIONS: 'lots' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'env.PRODUCTION_MAX_ACTIVE_OPERATIONS' }),
    );
    expect(() => resolveConfig({}, { PRODUCTION_LOG_LEVEL: 'loud' })).toThrow(/PRODUCTION_LOG_LEVEL/);
    expect(() => resolveConfig({}, { PRODUCTION_ERROR_RECOVERY_ENABLED: 'maybe' })).toThrow(/expected true or false/);
  });

  it('configures a Redis Cluster store and the replicas sharing it from PRODUCTION_* variables', () => {
    const config = resolveConfig(
      {},
      { PRODUCTION_REDIS_CLUSTER_NODES: '10.0.0.1:6379, redis://:secret@10.0.0.2:6380', PRODUCTION_RATE_LIMIT_REPLICAS: '4' },
    );
    expect(config.rateLimiting.store).toMatchObject({
      type: 'redis_cluster',
      nodes: ['10.0.0.1:6379', 'redis://:secret@10.0.0.2:6380'],
      failureMode: 'local_fallback',
      timeoutMs: 100,
    });
    expect(config.rateLimiting.replicas).toBe(4);
    expect(() => resolveConfig({}, { PRODUCTION_REDIS_CLUSTER_NODES: 'http://x:1' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'rateLimiting.store.nodes.0' }),
    );
    expect(() => resolveConfig({}, { PRODUCTION_RATE_LIMIT_REPLICAS: 'four' })).toThrow(
      expect.objectContaining({ path: 'env.PRODUCTION_RATE_LIMIT_REPLICAS' }),
    );
  });

  it('validates the shared store settings at the edge', () => {
    const store =
      (extra: Record<string, unknown>, rest: Record<string, unknown> = {}) =>
      () =>
        resolveConfig({ rateLimiting: { ...rest, store: { type: 'redis', url: 'redis://127.0.0.1:6379', ...extra } } } as never, {});
    expect(store({ keyPrefix: 'a{b}' })).toThrow(expect.objectContaining({ path: 'rateLimiting.store.keyPrefix' }));
    expect(store({ url: 'http://127.0.0.1:6379' })).toThrow(expect.objectContaining({ path: 'rateLimiting.store.url' }));
    expect(store({ localShare: 0.25 }, { replicas: 4 })).toThrow(expect.objectContaining({ path: 'rateLimiting.store.localShare' }));
    expect(store({ localShare: 1.5 })).toThrow(expect.objectContaining({ path: 'rateLimiting.store.localShare' }));
    expect(store({ localShare: 0.25 })().rateLimiting.store).toMatchObject({ localShare: 0.25 });
  });

  it("documents every variable it reads, in the configuration reference's table", () => {
    const readme = readFileSync('docs/configuration.md', 'utf8');
    for (const setting of ENV_SETTINGS) {
      expect(setting.name).toMatch(/^PRODUCTION_[A-Z_]+$/);
      expect(readme).toContain(`| \`${setting.name}\` | \`${setting.path}\` | ${setting.description} |`);
    }
  });
});
