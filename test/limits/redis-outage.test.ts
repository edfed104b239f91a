import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/errors.js';
import { RateLimitingManager, RateLimitStoreUnavailableError } from '../../src/limits/index.js';
import { freePort, type ChildHandle } from '../support/helpers.js';
import { startRedisServer } from './support/redis-server.js';

// Regression (issue 21, finding 2): with Redis killed or stopped (SIGSTOP) under load, local_fallback refused
// the calls that failed before the store's breaker opened as "store unavailable": a fresh user saw
// `UAAAAARRR…` instead of `AAAAARRRR…`, and in the SIGSTOP case 39 of 424 calls were refused that way. A call
// whose store call failed is now decided at once by the local store, on its share.

type Mark = 'A' | 'R' | 'U';

/** A check's outcome; it may throw synchronously (a local decision) or reject. */
async function mark(check: () => void | Promise<void>): Promise<Mark> {
  try {
    await check();
    return 'A';
  } catch (error) {
    if (error instanceof RateLimitStoreUnavailableError) return 'U';
    if (error instanceof RateLimitedError) return 'R';
    throw error;
  }
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `concurrency` loops of checks for ever-new users until `stop()`; resolves their marks. */
function load(m: RateLimitingManager, concurrency: number): { stop: () => Promise<Mark[]> } {
  let running = true;
  let n = 0;
  const marks: Mark[] = [];
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      marks.push(await mark(() => m.checkRateLimit('op', `load-${n++}`)));
      // One turn of the loop between calls, so a loop that is decided synchronously cannot starve the others.
      await new Promise((r) => setImmediate(r));
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return marks;
    },
  };
}

describe.each([
  ['killed', 'SIGKILL'],
  ['stopped (SIGSTOP)', 'SIGSTOP'],
] as const)('Redis %s under load, failureMode local_fallback', (_, signal) => {
  it('refuses nothing as "store unavailable"; a fresh user gets exactly the local share of its limit', async () => {
    const port = await freePort();
    const redis: ChildHandle = await startRedisServer(port);
    cleanups.push(async () => {
      if (redis.running()) redis.child.kill('SIGCONT');
      await redis.stop('SIGKILL');
    });
    const m = new RateLimitingManager(
      {
        // 20 per user, next to no refill: the local share of a half admits exactly 10.
        perUser: { algorithm: 'token_bucket', capacity: 20, refillPerSecond: 0.001 },
        store: {
          type: 'redis',
          url: `redis://127.0.0.1:${port}`,
          failureMode: 'local_fallback',
          localShare: 0.5,
          timeoutMs: 200,
          connectTimeoutMs: 5000,
          breakerThreshold: 3,
          breakerCooldownMs: 1000,
        },
      },
      {},
      { metrics: false },
    );
    cleanups.push(() => m.shutdown());
    await m.connect();
    const background = load(m, 16);
    await new Promise((r) => setTimeout(r, 300));
    expect(m.getRateLimitStats().store).toBe('redis');
    redis.child.kill(signal);
    // The fresh user starts at once, while the breaker is still closed: its first calls fail on the store.
    const fresh: Mark[] = [];
    for (let i = 0; i < 15; i++) fresh.push(await mark(() => m.checkRateLimit('op', 'fresh')));
    // More load through the outage, then stop it.
    await new Promise((r) => setTimeout(r, 500));
    const marks = await background.stop();
    expect(fresh.join('')).toBe('AAAAAAAAAARRRRR');
    expect(marks.length).toBeGreaterThan(50);
    expect(marks.filter((x) => x === 'U')).toHaveLength(0);
    const stats = m.getRateLimitStats();
    expect(stats.store).toBe('fallback');
    expect(stats.storeFailures).toMatchObject({ fail_closed: 0 });
    expect(stats.storeFailures.local_fallback).toBeGreaterThan(15);
  }, 30_000);
});
