import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitingManager, type RateLimitConfigInput, type RateLimiterConfigInput } from '../../src/limits/index.js';
import { StoreTimeoutError } from '../../src/limits/reply-timeout.js';
import { withReplyTimeout } from '../../src/limits/reply-timeout.js';
import { eventually, freePort, type ChildHandle } from '../support/helpers.js';
import { startRedisServer } from './support/redis-server.js';
import { errors, Replica, total } from './support/replicas.js';

// Event-loop stalls of the caller are not Redis outages: a reply that arrived while our loop was blocked is
// read before the timeout is judged, and one bad tick cannot open the store's breaker.
let port: number;
let server: ChildHandle;

function startRedis(): Promise<ChildHandle> {
  return startRedisServer(port);
}

beforeAll(async () => {
  port = await freePort();
  server = await startRedis();
}, 30_000);
afterAll(async () => {
  await server.stop();
});

const replicas: Replica[] = [];
const managers: RateLimitingManager[] = [];
afterEach(async () => {
  await Promise.all(replicas.splice(0).map((r) => r.stop()));
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
});

function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('the store call timeout', () => {
  let client: Redis;
  beforeAll(async () => {
    client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
  });
  afterAll(() => client.disconnect());

  it('reads a reply that arrived while our loop was blocked past the deadline before judging it a timeout', async () => {
    // Due at 100 ms, the timer fires about 10 ms late (not a stall worth an extension): the reply sits unread.
    const reply = withReplyTimeout((resolve, reject) => void client.ping().then(resolve, reject), 100);
    blockEventLoop(110);
    await expect(reply).resolves.toBe('PONG');
  });

  it('gives a call that needed a second round trip during a stall one more timeout', async () => {
    const twoTrips = withReplyTimeout(
      (resolve, reject) => void client.ping().then(() => client.echo('again').then(resolve, reject), reject),
      100,
    );
    blockEventLoop(150);
    await expect(twoTrips).resolves.toBe('again');
  });

  it('still times out a call that gets no reply, within twice the timeout plus the stall', async () => {
    const started = performance.now();
    const never = withReplyTimeout(() => undefined, 100);
    blockEventLoop(150);
    await expect(never).rejects.toBeInstanceOf(StoreTimeoutError);
    expect(performance.now() - started).toBeLessThan(2 * 100 + 150 + 1000);
  });
});

describe('event-loop stalls', () => {
  /**
   * A manager on this file's Redis with a 100 ms timeout, fail_closed: `rounds` of `checks` checks, each round
   * followed by a stall. Cold, the first round's checks need a second round trip (NOSCRIPT, then EVAL).
   */
  async function stallRounds(
    policy: RateLimiterConfigInput,
    keyPrefix: string,
    rounds: number,
    checks: number,
    stallMs: number,
    warm = false,
  ): Promise<RateLimitingManager> {
    const m = new RateLimitingManager(
      {
        perUser: policy,
        store: { type: 'redis', url: `redis://127.0.0.1:${port}`, keyPrefix, failureMode: 'fail_closed', timeoutMs: 100 },
      },
      {},
      { metrics: false },
    );
    managers.push(m);
    await m.connect();
    if (warm) await m.checkRateLimit('op', 'warm');
    for (let round = 0; round < rounds; round++) {
      const pending = Array.from({ length: checks }, () => Promise.resolve(m.checkRateLimit('op', 'alice')));
      blockEventLoop(stallMs);
      const outcomes = await Promise.allSettled(pending);
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    }
    return m;
  }

  it('a reply that arrived during a 150 ms stall of our loop is not a 100 ms timeout', async () => {
    const m = await stallRounds({ algorithm: 'token_bucket', capacity: 100, refillPerSecond: 0.001 }, 'stall1:', 3, 20, 150);
    expect(m.getRateLimitStats()).toMatchObject({
      store: 'redis',
      user: { allowed: 60 },
      storeFailures: { fail_closed: 0 },
      redis: { timeouts: 0, failures: 0 },
    });
  });

  it('a check whose request went out at the end of a stall a little longer than the timeout is not a timeout', async () => {
    // The store gathers a tick's writes and sends them when the tick ends: after this 105 ms stall. The 100 ms
    // timer then fires only 5 ms late (not late enough to show a stall), while the request has just left.
    const m = await stallRounds({ algorithm: 'fixed_window', limit: 1000, windowMs: 60_000 }, 'stall2:', 8, 5, 105, true);
    expect(m.getRateLimitStats()).toMatchObject({ store: 'redis', user: { allowed: 41 }, redis: { timeouts: 0, failures: 0 } });
  });

  const K = 4;
  const LIMIT = 40;
  const POLICIES: [string, RateLimiterConfigInput, number][] = [
    ['token_bucket', { algorithm: 'token_bucket', capacity: LIMIT, refillPerSecond: 0.0001 }, LIMIT],
    ['fixed_window', { algorithm: 'fixed_window', limit: LIMIT, windowMs: 86_400_000 }, LIMIT],
    ['sliding_window', { algorithm: 'sliding_window', limit: LIMIT, windowMs: 86_400_000, subWindows: 10 }, LIMIT],
    ['leaky_bucket', { algorithm: 'leaky_bucket', capacity: LIMIT, leakPerSecond: 0.0001, maxWaitMs: 0 }, 1],
  ];

  it(`K=${K} processes, each stalled 150 ms every second, hammering one user: together at most the limit, for every algorithm; with Redis killed, at most the limit on the local share`, async () => {
    const configs: Record<string, RateLimitConfigInput> = Object.fromEntries(
      POLICIES.map(([name, policy]) => [
        name,
        // The defaults that broke before: a 100 ms timeout and local_fallback; the share makes the outage safe.
        {
          perUser: policy,
          replicas: K,
          store: {
            type: 'redis',
            url: `redis://127.0.0.1:${port}`,
            keyPrefix: `stall:${name}:`,
            timeoutMs: 100,
            breakerCooldownMs: 500,
            connectTimeoutMs: 10_000,
          },
        },
      ]),
    );
    replicas.push(
      ...(await Promise.all(Array.from({ length: K }, () => Replica.start(configs, { STALL_MS: '150', STALL_EVERY_MS: '1000' })))),
    );
    for (const [name, , limit] of POLICIES) {
      const tallies = await Promise.all(replicas.map((r) => r.hammer(name, 'alice', 2500)));
      expect(errors(tallies), name).toEqual([]);
      expect(total(tallies, 'alice'), name).toBeLessThanOrEqual(limit);
      expect(total(tallies, 'alice'), name).toBeGreaterThan(0);
    }

    await server.stop('SIGKILL');
    try {
      const allInFallback = async () => {
        await Promise.all(replicas.flatMap((r) => POLICIES.map(([name]) => r.burst(name, ['probe'], 3, 1))));
        const stats = await Promise.all(replicas.map((r) => r.stats()));
        return stats.every((s) => POLICIES.every(([name]) => s[name]!.store === 'fallback' && s[name]!.redis!.breaker !== 'closed'));
      };
      await eventually(allInFallback, { what: 'every replica on its local fallback', timeoutMs: 20_000, intervalMs: 100 });
      for (const [name, , limit] of POLICIES) {
        const tallies = await Promise.all(replicas.map((r) => r.hammer(name, 'bob', 1500)));
        expect(errors(tallies), name).toEqual([]);
        // Each replica admits limit / K on its own; the leaky bucket's strict spacing admits one per replica.
        expect(total(tallies, 'bob'), name).toBeLessThanOrEqual(name === 'leaky_bucket' ? K : limit);
      }
    } finally {
      server = await startRedis();
    }
  }, 120_000);
});
