import { describe, expect, it } from 'vitest';
import { createRateLimiter, SingleRateLimiter } from '../../src/limits/keyed-limiter.js';
import { TokenBucket } from '../../src/limits/token-bucket.js';
import { InvalidConfigError } from '../../src/errors.js';
import type { Clock } from '../../src/internal/time.js';
import { clockOf } from '../support/clock.js';

function fakeClock(start = 1_000): { now: number; fn: Clock } {
  const clock: { now: number; fn: Clock } = { now: start, fn: clockOf(() => clock.now) };
  return clock;
}

describe('token bucket', () => {
  it('admits a burst up to capacity, then refills steadily', () => {
    const c = fakeClock();
    const l = createRateLimiter({ algorithm: 'token_bucket', capacity: 3, refillPerSecond: 1 }, { clock: c.fn });
    expect([1, 2, 3].map(() => l.tryAcquire('k').allowed)).toEqual([true, true, true]);
    const refused = l.tryAcquire('k');
    expect(refused).toMatchObject({ allowed: false, remaining: 0, limit: 3, retryAfterMs: 1000 });
    c.now += 999;
    expect(l.tryAcquire('k').allowed).toBe(false);
    c.now += 1;
    expect(l.tryAcquire('k')).toMatchObject({ allowed: true, remaining: 0 });
    c.now += 10_000;
    expect(l.tryAcquire('k')).toMatchObject({ allowed: true, remaining: 2, resetMs: 1000 });
  });

  it('handles fractional rates and large costs', () => {
    const c = fakeClock();
    const l = createRateLimiter({ algorithm: 'token_bucket', capacity: 1, refillPerSecond: 0.5 }, { clock: c.fn });
    expect(l.tryAcquire('k').allowed).toBe(true);
    expect(l.tryAcquire('k').retryAfterMs).toBe(2000);
    c.now += 2000;
    expect(l.tryAcquire('k').allowed).toBe(true);
    const big = createRateLimiter({ algorithm: 'token_bucket', capacity: 1_000_000, refillPerSecond: 1000 }, { clock: c.fn });
    expect(big.tryAcquire('k', 999_000)).toMatchObject({ allowed: true, remaining: 1000 });
    expect(big.tryAcquire('k', 5000)).toMatchObject({ allowed: false, retryAfterMs: 4000 });
    expect(big.tryAcquire('k', 2_000_000)).toMatchObject({ allowed: false, retryAfterMs: Infinity });
  });

  it('keeps keys apart and rejects a bad cost with INVALID_CONFIG', () => {
    const l = createRateLimiter({ algorithm: 'token_bucket', capacity: 1, refillPerSecond: 1 }, { clock: clockOf(() => 0) });
    expect(l.tryAcquire('a').allowed).toBe(true);
    expect(l.tryAcquire('b').allowed).toBe(true);
    expect(l.tryAcquire('a').allowed).toBe(false);
    for (const cost of [0, -1, Number.NaN, Infinity]) expect(() => l.tryAcquire('a', cost)).toThrow(InvalidConfigError);
  });

  it('a refusal consumes nothing', () => {
    const c = fakeClock();
    const l = createRateLimiter({ algorithm: 'token_bucket', capacity: 5, refillPerSecond: 1 }, { clock: c.fn });
    expect(l.tryAcquire('k', 4).allowed).toBe(true);
    expect(l.tryAcquire('k', 3).allowed).toBe(false);
    expect(l.tryAcquire('k', 1)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('validates its policy, naming the field', () => {
    expect(() => createRateLimiter({ algorithm: 'token_bucket', capacity: -1, refillPerSecond: 1 })).toThrow(/config\.capacity/);
    expect(() => createRateLimiter({ algorithm: 'nope' } as never)).toThrow(InvalidConfigError);
  });
});

describe('sliding window', () => {
  it('counts a rolling window, not two glued halves', () => {
    const c = fakeClock(0);
    const l = createRateLimiter({ algorithm: 'sliding_window', limit: 10, windowMs: 1000, subWindows: 10 }, { clock: c.fn });
    c.now = 950;
    expect(l.tryAcquire('k', 10).allowed).toBe(true);
    // A fixed window would reset at 1000; the rolling window still holds those 10 until they leave.
    c.now = 1500;
    const refused = l.tryAcquire('k');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(500); // the 900-1000 sub-window leaves the window at 2000
    c.now = 2000;
    expect(l.tryAcquire('k', 10).allowed).toBe(true);
  });

  it('frees the oldest sub-windows first', () => {
    const c = fakeClock(0);
    const l = createRateLimiter({ algorithm: 'sliding_window', limit: 4, windowMs: 400, subWindows: 4 }, { clock: c.fn });
    c.now = 0;
    l.tryAcquire('k', 2);
    c.now = 250;
    l.tryAcquire('k', 2);
    c.now = 300;
    expect(l.tryAcquire('k', 2)).toMatchObject({ allowed: false, retryAfterMs: 200, remaining: 0 });
    c.now = 500;
    expect(l.tryAcquire('k', 2)).toMatchObject({ allowed: true, remaining: 0 });
  });
});

describe('fixed window', () => {
  it('resets at each aligned boundary', () => {
    const c = fakeClock(0);
    const l = createRateLimiter({ algorithm: 'fixed_window', limit: 2, windowMs: 1000 }, { clock: c.fn });
    c.now = 100;
    expect(l.tryAcquire('k').allowed).toBe(true);
    expect(l.tryAcquire('k')).toMatchObject({ allowed: true, remaining: 0, resetMs: 900 });
    expect(l.tryAcquire('k')).toMatchObject({ allowed: false, retryAfterMs: 900 });
    c.now = 1000;
    expect(l.tryAcquire('k')).toMatchObject({ allowed: true, remaining: 1 });
  });
});

describe('leaky bucket', () => {
  it('lets requests leave at a steady rate, making callers wait up to maxWaitMs', () => {
    const c = fakeClock(0);
    const l = createRateLimiter({ algorithm: 'leaky_bucket', capacity: 5, leakPerSecond: 10, maxWaitMs: 250 }, { clock: c.fn });
    const waits = [1, 2, 3, 4].map(() => l.tryAcquire('k'));
    expect(waits.map((d) => [d.allowed, d.waitMs])).toEqual([
      [true, 0],
      [true, 100],
      [true, 200],
      [false, 0],
    ]);
    expect(waits[3]!.retryAfterMs).toBe(50); // its turn (300 ms) is 50 ms past the bound
    c.now = 100;
    expect(l.tryAcquire('k')).toMatchObject({ allowed: true, waitMs: 200 });
  });

  it('refuses at once when the queue is full, whatever the wait bound', () => {
    const c = fakeClock(0);
    const l = createRateLimiter({ algorithm: 'leaky_bucket', capacity: 2, leakPerSecond: 1, maxWaitMs: 60_000 }, { clock: c.fn });
    expect(l.tryAcquire('k').allowed).toBe(true);
    expect(l.tryAcquire('k')).toMatchObject({ allowed: true, waitMs: 1000 });
    expect(l.tryAcquire('k')).toMatchObject({ allowed: false, retryAfterMs: 1000 });
  });

  it('with maxWaitMs 0 only spaces requests', () => {
    const c = fakeClock(0);
    const l = createRateLimiter({ algorithm: 'leaky_bucket', capacity: 10, leakPerSecond: 0.5 }, { clock: c.fn });
    expect(l.tryAcquire('k').allowed).toBe(true);
    expect(l.tryAcquire('k')).toMatchObject({ allowed: false, retryAfterMs: 2000 });
    c.now = 2000;
    expect(l.tryAcquire('k').allowed).toBe(true);
  });
});

describe('single-cell limiter', () => {
  it('refunds exactly what a take consumed', () => {
    const c = fakeClock();
    const l = new SingleRateLimiter(new TokenBucket({ algorithm: 'token_bucket', capacity: 2, refillPerSecond: 1 }), c.fn);
    expect(l.take(c.now, 2)).toBe(0);
    l.refund(c.now, 2);
    expect(l.peek().remaining).toBe(2);
  });
});
