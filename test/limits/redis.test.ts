import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/errors.js';
import {
  RateLimitingManager,
  RateLimitStoreUnavailableError,
  type RateLimitConfigInput,
  type RateLimiterConfig,
} from '../../src/limits/index.js';
import { RedisRateLimitStore } from '../../src/limits/redis-store.js';
import { RedisRateLimiter } from '../../src/limits/redis-limiter.js';
import { eventually, freePort, memoryLogger, type ChildHandle } from '../support/helpers.js';
import { connectAdmin, startRedisServer } from './support/redis-server.js';

let port: number;
let server: ChildHandle;
let admin: Redis;

function startRedis(): Promise<ChildHandle> {
  return startRedisServer(port);
}

beforeAll(async () => {
  port = await freePort();
  server = await startRedis();
  admin = await connectAdmin(port);
}, 30_000);
afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

const managers: RateLimitingManager[] = [];
async function replica(
  config: RateLimitConfigInput,
  store: Record<string, unknown> = {},
  logger?: ReturnType<typeof memoryLogger>,
): Promise<RateLimitingManager> {
  const m = new RateLimitingManager(
    // A wide timeout: these tests are about decisions, and a loaded CI machine can be slow to answer.
    { ...config, store: { type: 'redis', url: `redis://127.0.0.1:${port}`, keyPrefix: `t${managers.length}:`, timeoutMs: 2000, ...store } },
    {},
    { metrics: false, logger },
  );
  managers.push(m);
  await m.connect();
  return m;
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
  await admin.flushall();
});

async function outcome(p: void | Promise<void>): Promise<'allowed' | RateLimitedError> {
  try {
    await p;
    return 'allowed';
  } catch (error) {
    if (error instanceof RateLimitedError) return error;
    throw error;
  }
}

describe('Redis store', () => {
  it('replicas sharing one Redis never admit more than the limit together', async () => {
    const config: RateLimitConfigInput = { perUser: { algorithm: 'token_bucket', capacity: 25, refillPerSecond: 0.001 } };
    const shared = { keyPrefix: 'shared:' };
    const replicas = await Promise.all([1, 2, 3, 4].map(() => replica(config, shared)));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => outcome(replicas[i % 4]!.checkRateLimit('op', 'alice'))));
    expect(results.filter((r) => r === 'allowed')).toHaveLength(25);
    const refused = results.find((r): r is RateLimitedError => r !== 'allowed')!;
    expect(refused).toMatchObject({ scope: 'user' });
    expect(refused).not.toBeInstanceOf(RateLimitStoreUnavailableError);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(replicas.reduce((n, m) => n + m.getRateLimitStats().user.allowed, 0)).toBe(25);
  });

  it.each<[string, RateLimiterConfig, number]>([
    ['token_bucket', { algorithm: 'token_bucket', capacity: 30, refillPerSecond: 0.001 }, 30],
    ['fixed_window', { algorithm: 'fixed_window', limit: 30, windowMs: 60_000 }, 30],
    ['sliding_window', { algorithm: 'sliding_window', limit: 30, windowMs: 60_000, subWindows: 10 }, 30],
    ['leaky_bucket', { algorithm: 'leaky_bucket', capacity: 30, leakPerSecond: 0.001, maxWaitMs: 0 }, 1],
  ])('%s decides atomically in one script; a refusal consumes nothing', async (_name, policy, expected) => {
    const stores = [0, 1, 2].map(
      () =>
        new RedisRateLimitStore({
          type: 'redis',
          url: `redis://127.0.0.1:${port}`,
          keyPrefix: 'algo:',
          failureMode: 'fail_closed',
          timeoutMs: 2000,
          breakerThreshold: 3,
          breakerCooldownMs: 1000,
          connectTimeoutMs: 2000,
        }),
    );
    try {
      await Promise.all(stores.map((s) => s.ready()));
      const limiters = stores.map((s) => new RedisRateLimiter(s, policy, 'u'));
      const decisions = await Promise.all(Array.from({ length: 120 }, (_, i) => limiters[i % 3]!.tryAcquire('bob')));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(expected);
      const refusedBig = await limiters[0]!.tryAcquire('carol', 1000);
      expect(refusedBig).toMatchObject({ allowed: false, retryAfterMs: Infinity });
      // Nothing was consumed by the refusal above: carol still has her whole allowance.
      expect(await limiters[0]!.tryAcquire('carol', 1)).toMatchObject({ allowed: true });
      const key = limiters[0]!.redisKey('bob');
      expect(key).toBe(`algo:{u:bob}:${policy.algorithm}`);
      expect(await admin.pttl(key)).toBeGreaterThan(0);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('answers the store interface with one number: admitted, admitted after a wait, refused with a retry, refused for good', async () => {
    const store = new RedisRateLimitStore({
      type: 'redis',
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: 'verdict:',
      failureMode: 'fail_closed',
      timeoutMs: 2000,
      breakerThreshold: 3,
      breakerCooldownMs: 1000,
      connectTimeoutMs: 2000,
    });
    try {
      await store.ready();
      store.setPolicy('user', undefined, { algorithm: 'leaky_bucket', capacity: 3, leakPerSecond: 1, maxWaitMs: 5000 });
      store.setPolicy('global', undefined, { algorithm: 'fixed_window', limit: 1, windowMs: 60_000 });
      expect(await store.consume('user', 'u', 1)).toBe(0);
      const waited = await store.consume('user', 'u', 1);
      expect(waited).toBeLessThan(0);
      expect(waited).toBeGreaterThanOrEqual(-1000);
      expect(await store.consume('user', 'u', 1000)).toBe(Infinity);
      expect(await store.consume('global', '', 1)).toBe(0);
      const retry = await store.consume('global', '', 1);
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(60_000);
      expect(await store.consume('operation', 'unlimited', 1)).toBeNaN();
    } finally {
      await store.close();
    }
  });

  it('a refusal by the user scope refunds the global and operation scopes on Redis', async () => {
    const m = await replica({
      global: { algorithm: 'token_bucket', capacity: 3, refillPerSecond: 0.001 },
      perOperation: { op: { algorithm: 'fixed_window', limit: 3, windowMs: 60_000 } },
      perUser: { algorithm: 'token_bucket', capacity: 1, refillPerSecond: 0.001 },
    });
    await m.checkRateLimit('op', 'alice');
    for (let i = 0; i < 4; i++) expect(await outcome(m.checkRateLimit('op', 'alice'))).toMatchObject({ scope: 'user' });
    await m.checkRateLimit('op', 'bob');
    await m.checkRateLimit('op', 'carol');
    expect(await outcome(m.checkRateLimit('op', 'dave'))).toMatchObject({ scope: 'global' });
    expect(m.getRateLimitStats()).toMatchObject({ store: 'redis', user: { allowed: 3, rejected: 4 } });
  });

  it('keeps odd and long user ids inside one hash slot and reloads scripts after SCRIPT FLUSH', async () => {
    const m = await replica({ perUser: { algorithm: 'fixed_window', limit: 1, windowMs: 60_000 } }, { keyPrefix: 'odd:' });
    for (const id of ['a}b{c', 'x'.repeat(10_000), 'with space', '#1']) {
      await m.checkRateLimit('op', id);
      expect(await outcome(m.checkRateLimit('op', id))).toMatchObject({ scope: 'user' });
    }
    const keys = await admin.keys('odd:*');
    expect(keys).toHaveLength(4);
    for (const key of keys) expect(key).toMatch(/^odd:\{u:[^{}\s]{1,256}\}:fixed_window$/);
    await admin.script('FLUSH');
    await m.checkRateLimit('op', 'fresh');
    expect(m.getRateLimitStats().redis).toMatchObject({ scriptLoads: 1, failures: 0 });
  });

  it('Redis killed mid-run: local fallback takes over, no call hangs; restarted: decisions go back to Redis', async () => {
    const logs = memoryLogger();
    const m = await replica(
      { perUser: { algorithm: 'token_bucket', capacity: 1000, refillPerSecond: 1000 } },
      { failureMode: 'local_fallback', timeoutMs: 200, breakerThreshold: 2, breakerCooldownMs: 100 },
      logs,
    );
    await m.checkRateLimit('op', 'alice');
    expect(m.healthCheck()).toMatchObject({ store: { state: 'redis' } });
    await server.stop('SIGKILL');
    // Every call is decided at once, by the local store when Redis fails (issue 21: before the breaker opened,
    // such calls were refused as store errors), and none hangs.
    let slowest = 0;
    const outcomes: ('allowed' | RateLimitedError)[] = [];
    for (let i = 0; i < 50; i++) {
      const started = performance.now();
      outcomes.push(await outcome(m.checkRateLimit('op', 'alice')));
      slowest = Math.max(slowest, performance.now() - started);
    }
    expect(outcomes.every((o) => o === 'allowed')).toBe(true);
    expect(slowest).toBeLessThan(1000);
    const during = m.getRateLimitStats();
    expect(during.store).toBe('fallback');
    expect(during.storeFailures).toMatchObject({ local_fallback: 50, fail_closed: 0 });
    expect(m.healthCheck()).toMatchObject({ healthy: false, status: 'warning', store: { state: 'fallback', breaker: 'open' } });
    expect(logs.records.some((e) => e.level === 'warn' && /unavailable/.test(e.message))).toBe(true);

    server = await startRedis();
    // Calls keep coming; the breaker's next probe finds Redis back.
    await eventually(
      async () => {
        await m.checkRateLimit('op', 'alice');
        return m.getRateLimitStats().store === 'redis';
      },
      { what: 'decisions back on Redis' },
    );
    expect(logs.records.some((e) => e.level === 'info' && /back on the redis store/.test(e.message))).toBe(true);
    await m.checkRateLimit('op', 'alice');
    expect(await admin.exists(`t${managers.length - 1}:{u:alice}:token_bucket`)).toBe(1);
  }, 30_000);

  it.each([42, null, {}, ['a']])('checkRateLimit(op, %j) and tryAcquire(%j) on Redis are INVALID_CONFIG at userId', async (userId) => {
    const m = await replica({ perUser: { algorithm: 'token_bucket', capacity: 5, refillPerSecond: 1 } });
    const invalid = expect.objectContaining({ code: 'INVALID_CONFIG', path: 'userId' });
    expect(() => m.checkRateLimit('op', userId as never)).toThrow(invalid);
    const store = new RedisRateLimitStore({
      type: 'redis',
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: 'bad:',
      failureMode: 'fail_closed',
      timeoutMs: 2000,
      breakerThreshold: 3,
      breakerCooldownMs: 1000,
      connectTimeoutMs: 2000,
    });
    try {
      await store.ready();
      const limiter = new RedisRateLimiter(store, { algorithm: 'fixed_window', limit: 1, windowMs: 1000 }, 'u');
      await expect(limiter.tryAcquire(userId as never)).rejects.toEqual(invalid);
    } finally {
      await store.close();
    }
    expect(m.getRateLimitStats().redis).toMatchObject({ failures: 0 });
  });

  it('fail_closed refuses with a store error that is not the user limit; fail_open admits', async () => {
    const closed = new RateLimitingManager(
      {
        perUser: { algorithm: 'token_bucket', capacity: 5, refillPerSecond: 1 },
        store: { type: 'redis', url: 'redis://127.0.0.1:1', failureMode: 'fail_closed', timeoutMs: 100, connectTimeoutMs: 100 },
      },
      {},
      { metrics: false },
    );
    const open = new RateLimitingManager(
      {
        perUser: { algorithm: 'token_bucket', capacity: 5, refillPerSecond: 1 },
        store: { type: 'redis', url: 'redis://127.0.0.1:1', failureMode: 'fail_open', timeoutMs: 100, connectTimeoutMs: 100 },
      },
      {},
      { metrics: false },
    );
    managers.push(closed, open);
    const error = await outcome(closed.checkRateLimit('op', 'alice'));
    expect(error).toBeInstanceOf(RateLimitStoreUnavailableError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', scope: 'global', storeUnavailable: true });
    expect((error as Error).message).toMatch(/store unavailable/);
    for (let i = 0; i < 20; i++) expect(await outcome(open.checkRateLimit('op', 'alice'))).toBe('allowed');
    expect(open.getRateLimitStats()).toMatchObject({
      store: 'fallback',
      storeFailures: { fail_open: 20 },
      user: { allowed: 0, rejected: 0 },
    });
    expect(closed.getRateLimitStats().storeFailures.fail_closed).toBe(1);
  });
});
