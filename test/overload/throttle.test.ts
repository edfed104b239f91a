import { describe, expect, it } from 'vitest';
import { throttleConfigSchema, type ThrottleConfigInput } from '../../src/dependencies/config.js';
import { ClientThrottle, defaultAccepted } from '../../src/overload/throttle.js';
import { OverloadedError, RateLimitedError, ThrottledError, TimeoutError } from '../../src/errors.js';
import { manualClock, type ManualClock } from '../support/clock.js';

/** A seeded PRNG (mulberry32), so the throttle's coin flips are the same every run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const throttle = (clock: ManualClock, config: ThrottleConfigInput = {}): ClientThrottle =>
  new ClientThrottle('backend', throttleConfigSchema.parse(config), clock, seeded(42));

/**
 * Offers `perSecond` calls a second for `seconds` to a backend that accepts `capacity()` a second and answers
 * the rest 429 (a token bucket refilled each second), on the manual clock. Per second: calls the backend saw,
 * and calls the client got through (accepted by the backend).
 */
function run(
  t: ClientThrottle,
  clock: ManualClock,
  seconds: number,
  perSecond: number,
  capacity: () => number,
): Array<{ seen: number; accepted: number }> {
  const out: Array<{ seen: number; accepted: number }> = [];
  for (let s = 0; s < seconds; s++) {
    let seen = 0;
    let accepted = 0;
    const cap = capacity();
    for (let i = 0; i < perSecond; i++) {
      clock.now += 1000 / perSecond;
      if (!t.admit()) continue;
      seen++;
      if (seen <= cap) {
        accepted++;
        t.record(undefined);
      } else t.record(Object.assign(new Error('Too Many Requests'), { status: 429 }));
    }
    out.push({ seen, accepted });
  }
  return out;
}

describe('client-side adaptive throttling (SRE formula)', () => {
  it('a backend of 100/s offered 400/s with K = 2 sees at most about 220/s on the default 2-minute window', () => {
    const clock = manualClock(0);
    const t = throttle(clock, { k: 2 });
    const seconds = run(t, clock, 300, 400, () => 100);
    const steady = seconds.slice(150);
    const mean = steady.reduce((n, s) => n + s.seen, 0) / steady.length;
    expect(mean).toBeLessThanOrEqual(220);
    expect(mean).toBeGreaterThanOrEqual(180); // K = 2 lets about twice the accepted rate through
    expect(Math.max(...steady.map((s) => s.seen))).toBeLessThanOrEqual(260);
    expect(t.probability()).toBeGreaterThan(0.4);
    expect(t.snapshot()).toMatchObject({ dependency: 'backend', k: 2, windowMs: 120_000 });
  });

  it('after the backend recovers, the client is back to at least 95 % acceptance within 10 s (a 10 s window)', () => {
    const clock = manualClock(0);
    const t = throttle(clock, { k: 2, windowMs: 10_000, buckets: 50 });
    let capacity = 100;
    const overloaded = run(t, clock, 60, 400, () => capacity);
    expect(overloaded.at(-1)!.seen).toBeLessThanOrEqual(220);
    capacity = Infinity;
    const recovery = run(t, clock, 10, 400, () => capacity);
    expect(recovery.at(-1)!.accepted / 400).toBeGreaterThanOrEqual(0.95);
    expect(t.probability()).toBeLessThanOrEqual(0.05);
  });

  it('refuses nothing while the backend accepts everything, and the window forgets old refusals', () => {
    const clock = manualClock(0);
    const t = throttle(clock, { windowMs: 2000, buckets: 4 });
    expect(run(t, clock, 5, 100, () => Infinity).every((s) => s.seen === 100)).toBe(true);
    expect(t.probability()).toBe(0);
    run(t, clock, 2, 100, () => 0);
    expect(t.probability()).toBeGreaterThan(0.9);
    clock.now += 10_000;
    expect(t.probability()).toBe(0);
    expect(t.snapshot()).toMatchObject({ requests: 0, accepts: 0 });
  });

  it('execute refuses with THROTTLED without calling, and records the outcome of calls it makes', async () => {
    const clock = manualClock(0);
    const t = new ClientThrottle('db', throttleConfigSchema.parse({ k: 1 }), clock, () => 0);
    await expect(t.execute(async () => 'ok')).resolves.toBe('ok');
    const busy = Object.assign(new Error('busy'), { statusCode: 503 });
    await expect(t.execute(() => Promise.reject(busy))).rejects.toBe(busy);
    let called = false;
    const refused = await t
      .execute(async () => {
        called = true;
      })
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(refused).toBeInstanceOf(ThrottledError);
    expect(refused).toMatchObject({ code: 'THROTTLED', dependency: 'db' });
    expect(t.throttled).toBe(1);
  });

  it('the default "accepted" hook: not an HTTP 429/503 or an overload refusal; other failures were accepted', () => {
    expect(defaultAccepted(undefined)).toBe(true);
    expect(defaultAccepted(new Error('bug'))).toBe(true);
    expect(defaultAccepted(new TimeoutError('op', 10))).toBe(true);
    expect(defaultAccepted({ status: 500 })).toBe(true);
    expect(defaultAccepted({ status: 429 })).toBe(false);
    expect(defaultAccepted({ response: { status: 503 } })).toBe(false);
    expect(defaultAccepted(new OverloadedError('op', 'critical', 'limit', 5))).toBe(false);
    expect(defaultAccepted(new RateLimitedError('global', 5))).toBe(false);
    expect(defaultAccepted({ code: 'THROTTLED' })).toBe(false);
    expect(defaultAccepted('a string')).toBe(true);
  });

  it('uses a custom accepted hook', () => {
    const clock = manualClock(0);
    const t = new ClientThrottle('x', throttleConfigSchema.parse({ k: 1, accepted: () => false }), clock, () => 0.5);
    for (let i = 0; i < 10; i++) {
      t.admit();
      t.record(undefined);
    }
    expect(t.probability()).toBeGreaterThan(0.8);
  });
});
