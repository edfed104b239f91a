import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidConfigError, RateLimitedError, ShuttingDownError } from '../../src/errors.js';
import {
  rateLimitHeaders,
  RateLimitingManager,
  type RateLimitingManagerOptions,
  type RateLimitConfigInput,
} from '../../src/limits/index.js';
import { clockOf } from '../support/clock.js';

const managers: RateLimitingManager[] = [];
function manager(config: RateLimitConfigInput, options: RateLimitingManagerOptions = {}) {
  const m = new RateLimitingManager(config, {}, { metrics: false, ...options });
  managers.push(m);
  return m;
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
  vi.useRealTimers();
});

function refusal(fn: () => unknown): RateLimitedError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RateLimitedError) return error;
    throw error;
  }
  throw new Error('expected RATE_LIMITED');
}

const bucket = (capacity: number, refillPerSecond = 1) => ({ algorithm: 'token_bucket' as const, capacity, refillPerSecond });

describe('RateLimitingManager.checkRateLimit', () => {
  it('is synchronous and free when nothing is configured', () => {
    const m = manager({});
    expect(m.checkRateLimit('op', 'u')).toBeUndefined();
    expect(m.getRateLimitStats().global).toEqual({ allowed: 0, rejected: 0 });
  });

  it('checks global, then operation, then user, naming the refusing scope with retryAfterMs', () => {
    let now = 0;
    const m = manager({ global: bucket(10), perOperation: { search: bucket(2) }, perUser: bucket(1) }, { clock: clockOf(() => now) });
    expect(m.checkRateLimit('search', 'alice')).toBeUndefined();
    expect(refusal(() => m.checkRateLimit('search', 'alice'))).toMatchObject({ code: 'RATE_LIMITED', scope: 'user', retryAfterMs: 1000 });
    void m.checkRateLimit('search', 'bob');
    expect(refusal(() => m.checkRateLimit('search', 'carol'))).toMatchObject({ scope: 'operation', retryAfterMs: 1000 });
    for (let i = 0; i < 8; i++) void m.checkRateLimit('other', undefined);
    expect(refusal(() => m.checkRateLimit('other', undefined))).toMatchObject({ scope: 'global' });
    now += 1000;
    expect(() => m.checkRateLimit('search', 'alice')).not.toThrow();
  });

  it('a call refused by a later scope consumes nothing from the earlier ones', () => {
    const m = manager(
      { global: bucket(3, 0.001), perOperation: { op: bucket(3, 0.001) }, perUser: bucket(1, 0.001) },
      { clock: clockOf(() => 0) },
    );
    void m.checkRateLimit('op', 'alice');
    for (let i = 0; i < 5; i++) expect(refusal(() => m.checkRateLimit('op', 'alice')).scope).toBe('user');
    // Had the refusals burnt global or operation tokens, these would be refused.
    void m.checkRateLimit('op', 'bob');
    void m.checkRateLimit('op', 'carol');
    expect(refusal(() => m.checkRateLimit('op', 'dave')).scope).toBe('global');
    const stats = m.getRateLimitStats();
    expect(stats.user).toEqual({ allowed: 3, rejected: 5 });
    expect(stats.operations.op).toMatchObject({ global: { allowed: 8, rejected: 1 }, operation: { allowed: 8 }, limited: true });
  });

  it('per-user overrides replace the default policy and can be removed', () => {
    const m = manager({ perUser: bucket(1, 0.001) }, { clock: clockOf(() => 0) });
    m.configureUserRateLimit('vip', bucket(3, 0.001));
    for (let i = 0; i < 3; i++) void m.checkRateLimit('op', 'vip');
    expect(refusal(() => m.checkRateLimit('op', 'vip')).scope).toBe('user');
    m.configureUserRateLimit('vip', null);
    void m.checkRateLimit('op', 'vip');
    expect(() => m.checkRateLimit('op', 'vip')).toThrow(RateLimitedError);
    expect(m.getRateLimitStats().users.overrides).toBe(0);
  });

  it('configures operations at run time and validates input with the field path', () => {
    const m = manager({}, { clock: clockOf(() => 0) });
    m.configureOperationRateLimit('export', { algorithm: 'fixed_window', limit: 1, windowMs: 1000 });
    void m.checkRateLimit('export', undefined);
    expect(refusal(() => m.checkRateLimit('export', undefined)).scope).toBe('operation');
    m.configureOperationRateLimit('export', null);
    expect(m.checkRateLimit('export', undefined)).toBeUndefined();
    expect(() => m.configureOperationRateLimit('x', { algorithm: 'fixed_window', limit: 0, windowMs: 1 })).toThrow(
      /rateLimiting\.perOperation\.x\.limit/,
    );
    expect(() => m.configureOperationRateLimit('', null)).toThrow(InvalidConfigError);
    expect(() => new RateLimitingManager({ global: { algorithm: 'token_bucket', capacity: 1 } as never })).toThrow(
      /rateLimiting\.global\.refillPerSecond/,
    );
    expect(() => new RateLimitingManager({}, { maxDbConnections: 0 })).toThrow(/resourceLimits\.maxDbConnections/);
  });

  it('caps distinct operation names; the rest count under _other', () => {
    const m = manager({ global: bucket(1e6, 1e6), maxTrackedOperations: 3 });
    for (let i = 0; i < 10; i++) void m.checkRateLimit(`op${i}`, undefined);
    const stats = m.getRateLimitStats();
    expect(Object.keys(stats.operations).sort()).toEqual(['_other', 'op0', 'op1', 'op2']);
    expect(stats.operations._other!.global.allowed).toBe(7);
  });

  it('makes a leaky-bucket caller wait for its turn, and shutdown releases waiters', async () => {
    vi.useFakeTimers();
    const m = manager(
      { perOperation: { job: { algorithm: 'leaky_bucket', capacity: 5, leakPerSecond: 10, maxWaitMs: 500 } } },
      { clock: clockOf(() => 0) },
    );
    expect(m.checkRateLimit('job', undefined)).toBeUndefined();
    const second = m.checkRateLimit('job', undefined);
    expect(second).toBeInstanceOf(Promise);
    let done = false;
    void (second as Promise<void>).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    const third = m.checkRateLimit('job', undefined) as Promise<void>;
    const rejected = expect(third).rejects.toBeInstanceOf(ShuttingDownError);
    await m.shutdown();
    await rejected;
  });
});

describe('rateLimitHeaders', () => {
  it('gives the IETF RateLimit fields and Retry-After', () => {
    expect(
      rateLimitHeaders({ allowed: true, remaining: 7, limit: 10, retryAfterMs: 0, resetMs: 2500, waitMs: 0, windowMs: 60_000 }, 'user'),
    ).toEqual({
      'RateLimit-Policy': '"user";q=10;w=60',
      RateLimit: '"user";r=7;t=3',
    });
    expect(
      rateLimitHeaders({ allowed: false, remaining: 0, limit: 10, retryAfterMs: 1200, resetMs: 9000, waitMs: 0, windowMs: 1000 }),
    ).toEqual({
      'RateLimit-Policy': '"default";q=10;w=1',
      RateLimit: '"default";r=0;t=2',
      'Retry-After': '2',
    });
    expect(rateLimitHeaders(new RateLimitedError('user', 300), 'a"b')).toEqual({ 'Retry-After': '1', RateLimit: '"a\\"b";r=0;t=1' });
  });
});

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function points(rm: ResourceMetrics, name: string) {
  const metric = rm.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as { attributes: Record<string, unknown>; value: number }[];
}

describe('signals', () => {
  it('reports decisions and resource usage through observable instruments, never a user id', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    try {
      const m = new RateLimitingManager({ perUser: bucket(1, 0.001) }, {}, { clock: clockOf(() => 0) });
      managers.push(m);
      void m.checkRateLimit('search', 'alice@example.com');
      expect(() => m.checkRateLimit('search', 'alice@example.com')).toThrow(RateLimitedError);
      const { resourceMetrics } = await reader.collect();
      const decisions = points(resourceMetrics, 'production.rate_limit.decisions');
      expect(decisions.map((p) => [p.attributes, p.value])).toEqual([
        [{ 'production.rate_limit.scope': 'user', 'production.operation.name': 'search', decision: 'allowed' }, 1],
        [{ 'production.rate_limit.scope': 'user', 'production.operation.name': 'search', decision: 'rejected' }, 1],
      ]);
      const usage = points(resourceMetrics, 'production.resource.usage');
      expect(usage.map((p) => p.attributes['production.resource']).sort()).toEqual([
        'cpu',
        'db_connections',
        'event_loop_delay',
        'memory',
        'operations',
      ]);
      expect(usage.find((p) => p.attributes['production.resource'] === 'memory')!.value).toBeGreaterThan(0);
      expect(JSON.stringify(resourceMetrics)).not.toContain('alice');
      // After shutdown the callback is gone: later decisions are no longer observed.
      await m.shutdown();
      void m.checkRateLimit('search', 'bob');
      const after = await reader.collect();
      expect(points(after.resourceMetrics, 'production.rate_limit.decisions').find((p) => p.attributes.decision === 'allowed')?.value).toBe(
        1,
      );
    } finally {
      await provider.shutdown();
      metrics.disable();
    }
  });
});
