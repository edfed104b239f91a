import type { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimiterConfig, SharedStoreConfig } from '../../src/limits/index.js';
import { RedisRateLimiter } from '../../src/limits/redis-limiter.js';
import { RedisRateLimitStore } from '../../src/limits/redis-store.js';
import { WRITE_BATCH } from '../../src/limits/redis-client.js';
import { EXPIRY_MARGIN_MS } from '../../src/limits/redis-scripts.js';
import { freePort, type ChildHandle } from '../support/helpers.js';
import { connectAdmin, startRedisServer } from './support/redis-server.js';

// What a decision costs Redis and the socket: the checks of one tick share a few writes, and a busy key's SET
// keeps its expiry (KEEPTTL) while that expiry still outlives the key's state.
let port: number;
let server: ChildHandle;
let admin: Redis;
const clients: Redis[] = [];
const stores: RedisRateLimitStore[] = [];

beforeAll(async () => {
  port = await freePort();
  server = await startRedisServer(port);
  admin = await connectAdmin(port);
}, 30_000);
afterAll(async () => {
  admin.disconnect();
  await server.stop();
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const c of clients.splice(0)) c.disconnect();
  await admin.flushall();
});

const CONFIG: SharedStoreConfig = {
  type: 'redis',
  url: 'redis://127.0.0.1:1',
  keyPrefix: 'cost:',
  failureMode: 'fail_closed',
  timeoutMs: 5000,
  breakerThreshold: 3,
  breakerCooldownMs: 1000,
  connectTimeoutMs: 5000,
};

/** A store on a client of our own (so the test sees its socket), `autoPipelining` as given. */
async function storeOn(enableAutoPipelining: boolean): Promise<{ store: RedisRateLimitStore; socket: Writable }> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableAutoPipelining });
  clients.push(client);
  await client.connect();
  const store = new RedisRateLimitStore(CONFIG, { client });
  stores.push(store);
  await store.ready();
  return { store, socket: client.stream };
}

/** Counts the socket's writes (one `_write` or `_writev` is one syscall's worth of data). */
function countWrites(socket: Writable): { readonly count: number } {
  const counter = { count: 0 };
  const s = socket as Writable & { _writev?: (...args: unknown[]) => void };
  const write = s._write.bind(s);
  s._write = (...args) => (counter.count++, write(...args));
  const writev = s._writev?.bind(s);
  if (writev !== undefined) s._writev = (...args: unknown[]) => (counter.count++, writev(...args));
  return counter;
}

/** The SET commands scripts ran while `body` ran, as [key, option] (option 'KEEPTTL' or 'PX'). */
async function setsDuring(body: () => Promise<void>): Promise<[string, string][]> {
  const monitor = await admin.monitor();
  const sets: [string, string][] = [];
  const marker = `end-${Math.random()}`;
  let sawMarker: () => void = () => undefined;
  const end = new Promise<void>((resolve) => (sawMarker = resolve));
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua' && args[0]?.toUpperCase() === 'SET') sets.push([args[1]!, args[3]!.toUpperCase()]);
    if (args[0]?.toUpperCase() === 'ECHO' && args[1] === marker) sawMarker();
  });
  try {
    await body();
    // Redis sends a monitor the lines in order: once it shows this ECHO, every earlier SET has arrived.
    await admin.echo(marker);
    await end;
  } finally {
    monitor.disconnect();
  }
  return sets;
}

describe('socket writes', () => {
  it(`sends the checks issued in one tick in writes of at most ${WRITE_BATCH}, the rest at the end of the tick`, async () => {
    const { store, socket } = await storeOn(false);
    store.setPolicy('user', undefined, { algorithm: 'fixed_window', limit: 1000, windowMs: 60_000 });
    // Redis has the script: no NOSCRIPT round trip below.
    await store.consume('user', 'warm', 1);
    const writes = countWrites(socket);
    const n = 2 * WRITE_BATCH + 6;
    const checks = Array.from({ length: n }, (_, i) => store.consume('user', `user-${i % 7}`, 1));
    // Two full batches are out; the last six wait in the corked socket until the end of this tick.
    expect(writes.count).toBe(2);
    expect(socket.writableCorked).toBe(1);
    expect(await Promise.all(checks)).toEqual(Array.from({ length: n }, () => 0));
    expect(writes.count).toBe(3);
    expect(socket.writableCorked).toBe(0);
    // Every check was decided on Redis, each once: what is left of each user's window, after one more take.
    const limiter = new RedisRateLimiter(store, { algorithm: 'fixed_window', limit: 1000, windowMs: 60_000 }, 'u');
    const remaining = await Promise.all(Array.from({ length: 7 }, async (_, i) => (await limiter.tryAcquire(`user-${i}`)).remaining));
    expect(remaining).toEqual(Array.from({ length: 7 }, (_, i) => 1000 - Math.ceil((n - i) / 7) - 1));
  });

  it('leaves a client that auto-pipelines to ioredis: nothing corked, decisions as before', async () => {
    const { store, socket } = await storeOn(true);
    store.setPolicy('user', undefined, { algorithm: 'token_bucket', capacity: 3, refillPerSecond: 0.001 });
    const checks = Array.from({ length: 5 }, () => store.consume('user', 'alice', 1));
    expect(socket.writableCorked).toBe(0);
    const verdicts = await Promise.all(checks);
    expect(verdicts.filter((v) => v === 0)).toHaveLength(3);
    expect(verdicts.filter((v) => v > 0)).toHaveLength(2);
  });
});

describe('key expiry', () => {
  it.each<[string, RateLimiterConfig]>([
    ['token_bucket', { algorithm: 'token_bucket', capacity: 100, refillPerSecond: 1000 }],
    ['fixed_window', { algorithm: 'fixed_window', limit: 100, windowMs: 60_000 }],
    ['leaky_bucket', { algorithm: 'leaky_bucket', capacity: 100, leakPerSecond: 1000, maxWaitMs: 60_000 }],
  ])('%s: a busy key sets its expiry once, then keeps it', async (_name, policy) => {
    const { store } = await storeOn(false);
    const limiter = new RedisRateLimiter(store, policy, 'u');
    // Five takes in one write run back to back in Redis: well within the slack of the first one's expiry.
    const sets = await setsDuring(async () => {
      const decisions = await Promise.all(Array.from({ length: 5 }, () => limiter.tryAcquire('bob')));
      expect(decisions.every((d) => d.allowed)).toBe(true);
    });
    const key = limiter.redisKey('bob');
    expect(sets).toEqual([[key, 'PX'], ...Array.from({ length: 4 }, () => [key, 'KEEPTTL'])]);
    expect(await admin.pttl(key)).toBeGreaterThan(0);
  });

  it.each<[string, RateLimiterConfig]>([
    ['token_bucket', { algorithm: 'token_bucket', capacity: 8, refillPerSecond: 40 }],
    ['leaky_bucket', { algorithm: 'leaky_bucket', capacity: 8, leakPerSecond: 40, maxWaitMs: 60_000 }],
  ])(
    '%s: the key never expires before its state is back to the start, plus the margin',
    async (_name, policy) => {
      const { store } = await storeOn(false);
      const limiter = new RedisRateLimiter(store, policy, 'u');
      const key = limiter.redisKey('carol');
      let moved = 0;
      let kept = 0;
      const sets = await setsDuring(async () => {
        for (let i = 0; i < 40; i++) {
          const started = performance.now();
          const decision = await limiter.tryAcquire('carol', 1 + (i % 3));
          const ttl = await admin.pttl(key);
          const elapsed = performance.now() - started;
          // resetMs: how long until the bucket is full (the queue drained) again, as of the script.
          if (decision.allowed) expect(ttl).toBeGreaterThanOrEqual(decision.resetMs + EXPIRY_MARGIN_MS - elapsed - 2);
          if (i % 5 === 4) await limiter.refund('carol', 1);
          // Let the bucket refill (the queue drain) a little between some decisions.
          if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 30));
        }
      });
      for (const [, option] of sets) {
        if (option === 'PX') moved++;
        else kept++;
      }
      expect(moved).toBeGreaterThan(0);
      expect(kept).toBeGreaterThan(0);
    },
    60_000,
  );

  it('reads the previous layout (no keep) and the previous scripts read the new one', async () => {
    const { store } = await storeOn(false);
    const bucket = new RedisRateLimiter(store, { algorithm: 'token_bucket', capacity: 5, refillPerSecond: 0.001 }, 'u');
    const leaky = new RedisRateLimiter(store, { algorithm: 'leaky_bucket', capacity: 5, leakPerSecond: 0.001, maxWaitMs: 0 }, 'u');
    // Written as the previous scripts wrote them: two tokens left, refilled just now; a queue busy for a day.
    await admin.eval(
      `local t = redis.call('TIME')
       local rel = (t[1] - 1700000000) * 1000 + t[2] / 1000
       redis.call('SET', KEYS[1], struct.pack('dd', 2, rel), 'PX', 60000)
       redis.call('SET', KEYS[2], struct.pack('d', t[1] * 1000 + t[2] / 1000 + 86400000), 'PX', 86400000)`,
      2,
      bucket.redisKey('dave'),
      leaky.redisKey('dave'),
    );
    expect(await bucket.tryAcquire('dave')).toMatchObject({ allowed: true, remaining: 1 });
    expect(await leaky.tryAcquire('dave')).toMatchObject({ allowed: false });
    expect(await admin.strlen(bucket.redisKey('dave'))).toBe(24);
    // The previous token-bucket script read `tokens, at = struct.unpack('dd', s)`.
    const tokens = await admin.eval(`return math.floor(struct.unpack('dd', redis.call('GET', KEYS[1])))`, 1, bucket.redisKey('dave'));
    expect(tokens).toBe(1);
    // The previous leaky-bucket script read `nextFree = struct.unpack('d', s)`: a fresh take queues 1 / leak.
    expect(await leaky.tryAcquire('erin')).toMatchObject({ allowed: true });
    const queuedMs = await admin.eval(
      `local t = redis.call('TIME') return math.floor(struct.unpack('d', redis.call('GET', KEYS[1])) - (t[1] * 1000 + t[2] / 1000))`,
      1,
      leaky.redisKey('erin'),
    );
    expect(queuedMs).toBeGreaterThan(990_000);
    expect(queuedMs).toBeLessThanOrEqual(1_000_000);
  });
});
