import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RateLimiterConfigInput } from '../../src/limits/index.js';
import { createRateLimiter } from '../../src/limits/keyed-limiter.js';
import { clockOf } from '../support/clock.js';

interface Admitted {
  t: number;
  cost: number;
  wait: number;
}

const arrivals = fc.array(
  fc.record({
    dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.double({ min: 0, max: 3000, noNaN: true })),
    cost: fc.integer({ min: 1, max: 4 }),
  }),
  { minLength: 1, maxLength: 250 },
);

function run(config: RateLimiterConfigInput, pattern: { dt: number; cost: number }[]): Admitted[] {
  let now = 0;
  const limiter = createRateLimiter(config, { clock: clockOf(() => now) });
  const admitted: Admitted[] = [];
  for (const { dt, cost } of pattern) {
    now += dt;
    const d = limiter.tryAcquire('k', cost);
    if (d.allowed) admitted.push({ t: now, cost, wait: d.waitMs });
  }
  return admitted;
}

const EPS = 1e-6;

describe('no algorithm admits more than its limit, whatever the arrival pattern', () => {
  it('token bucket: any interval T admits at most capacity + rate * T', () => {
    fc.assert(
      fc.property(arrivals, fc.integer({ min: 1, max: 10 }), fc.double({ min: 0.1, max: 20, noNaN: true }), (pattern, capacity, rate) => {
        const admitted = run({ algorithm: 'token_bucket', capacity, refillPerSecond: rate }, pattern);
        for (let i = 0; i < admitted.length; i++) {
          let sum = 0;
          for (let j = i; j < admitted.length; j++) {
            sum += admitted[j]!.cost;
            expect(sum).toBeLessThanOrEqual(capacity + (rate * (admitted[j]!.t - admitted[i]!.t)) / 1000 + EPS);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('sliding window: every rolling window holds at most limit', () => {
    fc.assert(
      fc.property(
        arrivals,
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 20 }),
        (pattern, limit, windowMs, subWindows) => {
          const admitted = run({ algorithm: 'sliding_window', limit, windowMs, subWindows }, pattern);
          for (const last of admitted) {
            const inWindow = admitted.filter((a) => a.t > last.t - windowMs && a.t <= last.t).reduce((s, a) => s + a.cost, 0);
            expect(inWindow).toBeLessThanOrEqual(limit + EPS);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fixed window: every aligned window holds at most limit', () => {
    fc.assert(
      fc.property(arrivals, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 2000 }), (pattern, limit, windowMs) => {
        const admitted = run({ algorithm: 'fixed_window', limit, windowMs }, pattern);
        const perWindow = new Map<number, number>();
        for (const a of admitted) {
          const w = Math.floor(a.t / windowMs);
          perWindow.set(w, (perWindow.get(w) ?? 0) + a.cost);
        }
        for (const sum of perWindow.values()) expect(sum).toBeLessThanOrEqual(limit + EPS);
      }),
      { numRuns: 300 },
    );
  });

  it('leaky bucket: departures are spaced by cost / rate, waits and queue stay bounded', () => {
    fc.assert(
      fc.property(
        arrivals,
        fc.integer({ min: 4, max: 12 }),
        fc.double({ min: 0.2, max: 50, noNaN: true }),
        fc.integer({ min: 0, max: 3000 }),
        (pattern, capacity, rate, maxWaitMs) => {
          let now = 0;
          const limiter = createRateLimiter(
            { algorithm: 'leaky_bucket', capacity, leakPerSecond: rate, maxWaitMs },
            { clock: clockOf(() => now) },
          );
          const departures: { at: number; cost: number }[] = [];
          for (const { dt, cost } of pattern) {
            now += dt;
            const d = limiter.tryAcquire('k', cost);
            if (!d.allowed) continue;
            expect(d.waitMs).toBeLessThanOrEqual(maxWaitMs + 1);
            // Exact departure: the ceil in waitMs only rounds up what the caller waits.
            const exact = departures.length === 0 ? now : Math.max(now, departures.at(-1)!.at + (departures.at(-1)!.cost * 1000) / rate);
            // The caller never leaves before its slot.
            expect(now + d.waitMs).toBeGreaterThanOrEqual(exact - EPS);
            departures.push({ at: exact, cost });
            const queued = ((exact - now) * rate) / 1000;
            expect(queued + cost).toBeLessThanOrEqual(capacity + EPS);
          }
          for (let i = 1; i < departures.length; i++) {
            expect(departures[i]!.at - departures[i - 1]!.at).toBeGreaterThanOrEqual((departures[i - 1]!.cost * 1000) / rate - EPS);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
