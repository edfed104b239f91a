import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
import { RateLimitingManager } from '../../src/limits/index.js';
import { BoundedKeyMap } from '../../src/limits/key-map.js';
import { createRateLimiter } from '../../src/limits/keyed-limiter.js';
import { LimiterCell } from '../../src/limits/decision.js';
import { clockOf } from '../support/clock.js';

describe('per-key state stays bounded', () => {
  it('a million distinct keys never hold more than the cap; evictions are counted', () => {
    let now = 0;
    const limiter = createRateLimiter(
      { algorithm: 'token_bucket', capacity: 5, refillPerSecond: 1 },
      { clock: clockOf(() => now), maxKeys: 10_000, idleMs: 60_000 },
    );
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) {
      now += 0.001;
      limiter.tryAcquire(`user-${i}`);
      if (limiter.size > 10_000) throw new Error(`size ${limiter.size} exceeds the cap at ${i}`);
    }
    expect(limiter.size).toBe(10_000);
    expect(limiter.evicted + limiter.expired).toBe(990_000);
    // Retained: 10,000 cells and keys (~1.5 MB); a million would hold ~100 MB.
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('keeps recently seen keys over untouched ones (second chance)', () => {
    const map = new BoundedKeyMap<LimiterCell>(3, 1_000_000);
    map.add('a', new LimiterCell(), 1);
    map.add('b', new LimiterCell(), 2);
    map.add('c', new LimiterCell(), 3);
    map.get('a', 4);
    map.add('d', new LimiterCell(), 5);
    expect(map.get('a', 6)).toBeDefined();
    expect(map.get('b', 6)).toBeUndefined();
    expect(map.evicted).toBe(1);
  });

  it('drops idle keys on sweep and counts them as expired', () => {
    const map = new BoundedKeyMap<LimiterCell>(100, 1000);
    for (let i = 0; i < 10; i++) map.add(`k${i}`, new LimiterCell(), i);
    map.get('k3', 900);
    expect(map.sweep(1500, 100)).toBe(9);
    expect(map.size).toBe(1);
    expect(map.expired).toBe(9);
    expect(map.get('k3', 1500)).toBeDefined();
  });

  it('stores very long and odd keys as bounded digests without mixing them up', () => {
    const limiter = createRateLimiter(
      { algorithm: 'fixed_window', limit: 1, windowMs: 1000 },
      { clock: clockOf(() => 0), maxKeyLength: 32 },
    );
    const long = 'x'.repeat(1_000_000);
    expect(limiter.tryAcquire(long).allowed).toBe(true);
    expect(limiter.tryAcquire(long).allowed).toBe(false);
    expect(limiter.tryAcquire(`${long}y`).allowed).toBe(true);
    for (const odd of ['', '#', '{tag}', 'a\u0000b', '🙂', '__proto__', 'constructor']) {
      expect(limiter.tryAcquire(odd).allowed).toBe(true);
      expect(limiter.tryAcquire(odd).allowed).toBe(false);
    }
  });

  it('the manager caps per-user state with maxTrackedUsers and reports evictions', async () => {
    let now = 0;
    const m = new RateLimitingManager(
      { perUser: { algorithm: 'token_bucket', capacity: 1, refillPerSecond: 1 }, maxTrackedUsers: 1000, userIdleMs: 60_000 },
      {},
      { clock: clockOf(() => now), metrics: false },
    );
    for (let i = 0; i < 50_000; i++) {
      now += 0.01;
      void m.checkRateLimit('op', `u${i}`);
    }
    const stats = m.getRateLimitStats();
    expect(stats.users.tracked).toBe(1000);
    expect(stats.users.evicted + stats.users.expired).toBe(49_000);
    expect(stats.user.allowed).toBe(50_000);
    await m.shutdown();
  });
});
