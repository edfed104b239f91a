import { afterEach, describe, expect, it } from 'vitest';
import { InvalidConfigError, type RateLimitScope } from '../../src/errors.js';
import {
  FallbackRateLimitStore,
  MemoryRateLimitStore,
  RateLimitingManager,
  RateLimitStoreUnavailableError,
  type RateLimiterConfig,
  type RateLimitStore,
} from '../../src/limits/index.js';
import { StoreBreaker } from '../../src/limits/store-breaker.js';
import type { Clock } from '../../src/internal/time.js';
import { clockOf } from '../support/clock.js';

const fixed = (limit: number): RateLimiterConfig => ({ algorithm: 'fixed_window', limit, windowMs: 3_600_000 });

/** A shared store of its own (an async wrapper around memory) whose calls can be made to fail. */
class FlakyStore implements RateLimitStore {
  readonly type = 'flaky';
  failing = false;
  readonly calls: string[] = [];
  private readonly inner: MemoryRateLimitStore;
  private readonly listeners = new Set<() => void>();
  constructor(clock: Clock) {
    this.inner = new MemoryRateLimitStore({ clock });
  }
  setPolicy(scope: RateLimitScope, key: string | undefined, policy: RateLimiterConfig | null): void {
    this.inner.setPolicy(scope, key, policy);
  }
  consume(scope: RateLimitScope, key: string, cost: number): Promise<number> {
    this.calls.push(`consume ${scope} ${key}`);
    return this.failing ? Promise.reject(new Error('connection refused')) : Promise.resolve(this.inner.consume(scope, key, cost));
  }
  async refund(scope: RateLimitScope, key: string, cost: number): Promise<void> {
    this.calls.push(`refund ${scope} ${key}`);
    this.inner.refund(scope, key, cost);
  }
  onAvailable(listener: () => void): Disposable {
    this.listeners.add(listener);
    return { [Symbol.dispose]: () => this.listeners.delete(listener) };
  }
  comeBack(): void {
    this.failing = false;
    for (const l of this.listeners) l();
  }
}

async function settle(value: number | Promise<number>): Promise<number | Error> {
  try {
    return await value;
  } catch (error) {
    return error as Error;
  }
}

const managers: RateLimitingManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
});

describe('MemoryRateLimitStore', () => {
  it('decides each scope on its own policy; NaN where none applies; a user policy replaces the default', () => {
    const store = new MemoryRateLimitStore({ clock: clockOf(() => 0) });
    expect(store.consume('global', '', 1)).toBeNaN();
    store.setPolicy('global', undefined, fixed(1));
    store.setPolicy('operation', 'search', fixed(2));
    store.setPolicy('user', undefined, fixed(1));
    store.setPolicy('user', 'vip', fixed(3));
    expect(store.consume('global', '', 1)).toBe(0);
    expect(store.consume('global', '', 1)).toBeGreaterThan(0);
    expect(store.consume('operation', 'other', 1)).toBeNaN();
    expect([1, 2, 3].map(() => store.consume('operation', 'search', 1) <= 0)).toEqual([true, true, false]);
    expect([1, 2].map(() => store.consume('user', 'alice', 1) <= 0)).toEqual([true, false]);
    expect([1, 2, 3, 4].map(() => store.consume('user', 'vip', 1) <= 0)).toEqual([true, true, true, false]);
    store.refund('user', 'vip', 1);
    expect(store.consume('user', 'vip', 1)).toBe(0);
    store.setPolicy('user', 'vip', null);
    expect(store.consume('user', 'vip', 1)).toBe(0);
  });

  it('admits its share of every limit (a share outside (0, 1] is INVALID_CONFIG)', () => {
    expect(() => new MemoryRateLimitStore({ share: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', path: 'share' }));
    expect(() => new FallbackRateLimitStore(new MemoryRateLimitStore(), { localShare: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'localShare' }),
    );
    const store = new MemoryRateLimitStore({ clock: clockOf(() => 0), share: 0.25 });
    store.setPolicy('user', undefined, fixed(20));
    store.setPolicy('global', undefined, { algorithm: 'token_bucket', capacity: 8, refillPerSecond: 0.001 });
    expect(Array.from({ length: 10 }, () => store.consume('user', 'u', 1) <= 0).filter(Boolean)).toHaveLength(5);
    expect(Array.from({ length: 10 }, () => store.consume('global', '', 1) <= 0).filter(Boolean)).toHaveLength(2);
  });
});

describe('a store of your own behind RateLimitingManager', () => {
  it('decides global, operation and user through the one interface and refunds the earlier scopes on refusal', async () => {
    const store = new FlakyStore(clockOf(() => 0));
    const m = new RateLimitingManager(
      { global: fixed(10), perOperation: { search: fixed(10) }, perUser: fixed(1) },
      {},
      { metrics: false, store },
    );
    managers.push(m);
    await m.checkRateLimit('search', 'alice');
    await expect(m.checkRateLimit('search', 'alice')).rejects.toMatchObject({ code: 'RATE_LIMITED', scope: 'user' });
    expect(store.calls).toEqual([
      'consume global ',
      'consume operation search',
      'consume user alice',
      'consume global ',
      'consume operation search',
      'consume user alice',
      'refund global ',
      'refund operation search',
    ]);
    expect(m.getRateLimitStats()).toMatchObject({
      store: 'custom',
      global: { allowed: 2 },
      user: { allowed: 1, rejected: 1 },
      redis: { type: 'flaky' },
    });
    // Its errors reach the caller as they are: no failure mode unless it is wrapped in a FallbackRateLimitStore.
    store.failing = true;
    await expect(m.checkRateLimit('search', 'bob')).rejects.toThrow('connection refused');
  });

  it('is refused together with a configured Redis store', () => {
    expect(
      () =>
        new RateLimitingManager(
          { store: { type: 'redis', url: 'redis://127.0.0.1:1' } },
          {},
          { metrics: false, store: new MemoryRateLimitStore() },
        ),
    ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', path: 'rateLimiting.store' }));
  });
});

describe('FallbackRateLimitStore', () => {
  function setup(options: ConstructorParameters<typeof FallbackRateLimitStore>[1] = {}) {
    const clock = { now: 1000 };
    const primary = new FlakyStore(clockOf(() => clock.now));
    const store = new FallbackRateLimitStore(primary, {
      clock: clockOf(() => clock.now),
      breakerThreshold: 3,
      breakerCooldownMs: 500,
      ...options,
    });
    store.setPolicy('user', undefined, fixed(20));
    return { clock, primary, store };
  }

  it('under local_fallback a failed store call is decided at once by the local store, before the breaker opens; its refund goes there too', async () => {
    // Regression (issue 21, finding 2): until the breaker opened, such calls were refused as store errors.
    const { primary, store } = setup({ localShare: 0.5 });
    primary.failing = true;
    const round = await Promise.all(Array.from({ length: 15 }, () => settle(store.consume('user', 'alice', 1))));
    expect(round.some((r) => r instanceof Error)).toBe(false);
    // The local share of 20 is 10: ten admitted, five refused as alice's own limit (a retry time).
    expect(round.filter((r) => r === 0)).toHaveLength(10);
    expect(round.filter((r) => typeof r === 'number' && r > 0)).toHaveLength(5);
    expect(store.breaker.state).toBe('closed');
    expect(store.decidedWithout).toEqual({ fail_open: 0, fail_closed: 0, local_fallback: 15 });
    // The RateLimit headers read the store that decided: the local one, on its share.
    expect(store.quota('user', 'alice')).toMatchObject({ limit: 10, remaining: 0 });
    // Given back where it was taken: alice gets one more locally, and the primary saw no refund.
    await store.refund('user', 'alice', 1);
    expect(await store.consume('user', 'alice', 1)).toBe(0);
    expect(primary.calls.filter((c) => c.startsWith('refund'))).toEqual([]);
    primary.failing = false;
    expect(await store.consume('user', 'alice', 1)).toBe(0);
    expect(store.status()).toMatchObject({ state: 'custom', healthy: true, breaker: 'closed' });
  });

  it('after `breakerThreshold` failed rounds, K replicas decide locally, synchronously, and admit at most the limit together', async () => {
    const K = 4;
    const replicas = Array.from({ length: K }, () => setup({ localShare: 1 / K }));
    for (const { clock, primary, store } of replicas) {
      primary.failing = true;
      for (let round = 0; round < 3; round++) {
        await settle(store.consume('user', 'alice', 1));
        clock.now += 10;
      }
      expect(store.breaker.state).toBe('open');
    }
    let admitted = 0;
    for (const { store } of replicas) {
      for (let i = 0; i < 50; i++) {
        const r = store.consume('user', 'bob', 1);
        expect(typeof r).toBe('number');
        if ((r as number) <= 0) admitted++;
      }
    }
    expect(admitted).toBe(20);
    expect(replicas[0]!.store.status()).toMatchObject({ state: 'fallback', healthy: false, breaker: 'open', localShare: 0.25 });
    // The three calls whose failures opened the breaker were decided locally too.
    expect(replicas[0]!.store.decidedWithout.local_fallback).toBe(53);
  });

  it('probes the store after the cooldown (or at once when it reconnects) and goes back to it', async () => {
    const { clock, primary, store } = setup();
    primary.failing = true;
    for (let round = 0; round < 3; round++) {
      await settle(store.consume('user', 'alice', 1));
      clock.now += 10;
    }
    primary.calls.length = 0;
    void store.consume('user', 'alice', 1);
    expect(primary.calls).toEqual([]);
    clock.now += 500;
    await settle(store.consume('user', 'alice', 1));
    expect(primary.calls).toEqual(['consume user alice']);
    expect(store.breaker.state).toBe('open');
    primary.comeBack();
    expect(await store.consume('user', 'alice', 1)).toBe(0);
    expect(store.breaker.state).toBe('closed');
    expect(store.status().state).toBe('custom');
  });

  it("fail_open admits without counting a decision; fail_closed refuses with a store error, never the caller's limit", async () => {
    const open = setup({ failureMode: 'fail_open' });
    open.primary.failing = true;
    expect(await open.store.consume('user', 'alice', 1)).toBeNaN();
    const closed = setup({ failureMode: 'fail_closed' });
    closed.primary.failing = true;
    const error = await settle(closed.store.consume('user', 'alice', 1));
    expect(error).toBeInstanceOf(RateLimitStoreUnavailableError);
    expect(error).toMatchObject({ storeUnavailable: true, reason: 'connection refused' });
  });

  it('a scope refused synchronously while another is pending on the store fails the check as a promise and gives the other back', async () => {
    const clock = { now: 0 };
    const primary = new FlakyStore(clockOf(() => clock.now));
    const store = new FallbackRateLimitStore(primary, {
      clock: clockOf(() => clock.now),
      failureMode: 'fail_closed',
      breakerThreshold: 1,
      breakerCooldownMs: 500,
    });
    const m = new RateLimitingManager({ global: fixed(10), perUser: fixed(10) }, {}, { metrics: false, store });
    managers.push(m);
    primary.failing = true;
    await expect(m.checkRateLimit('op', 'alice')).rejects.toBeInstanceOf(RateLimitStoreUnavailableError);
    primary.failing = false;
    clock.now += 500;
    primary.calls.length = 0;
    // Half open: the global scope is the one probe; the user scope may not touch the store and is refused.
    const check = m.checkRateLimit('op', 'alice');
    expect(check).toBeInstanceOf(Promise);
    await expect(check).rejects.toBeInstanceOf(RateLimitStoreUnavailableError);
    expect(primary.calls).toEqual(['consume global ', 'refund global ']);
    await m.checkRateLimit('op', 'alice');
  });

  it('passes our own errors through: a missing package or bad input is not an outage', async () => {
    const primary = new FlakyStore(clockOf(() => 0));
    primary.consume = () => Promise.reject(new InvalidConfigError('rateLimiting.store', 'npm install ioredis'));
    const store = new FallbackRateLimitStore(primary, { failureMode: 'fail_open' });
    await expect(store.consume('user', 'u', 1)).rejects.toBeInstanceOf(InvalidConfigError);
    expect(store.failures).toBe(0);
  });
});

describe('StoreBreaker', () => {
  it('counts calls that failed together once; calls started after a failure count again', () => {
    let now = 0;
    const breaker = new StoreBreaker(
      3,
      1000,
      clockOf(() => now),
    );
    now = 100;
    for (let i = 0; i < 50; i++) breaker.failure(0);
    expect(breaker.failure(100)).toBe(false);
    expect(breaker.consecutiveFailures).toBe(1);
    now = 200;
    expect(breaker.failure(150)).toBe(false);
    now = 300;
    expect(breaker.failure(250)).toBe(true);
    expect(breaker.state).toBe('open');
  });
});
