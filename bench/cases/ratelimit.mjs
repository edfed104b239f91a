// Rate limiting: our in-memory store against a hand-written floor and rate-limiter-flexible, our Redis store
// against rate-limiter-flexible's on the same redis-server, and both on a 3-master Redis Cluster (servers
// started here on free ports, stopped at the end). Keys: ratelimit_memory_ns (MemoryRateLimitStore.consume,
// the RateLimitStore interface), ratelimit_handrolled_ns, ratelimit_rlflexible_ns, ratelimit_redis_ops_s,
// ratelimit_rlflexible_redis_ops_s, ratelimit_redis_cluster_ops_s, ratelimit_rlflexible_redis_cluster_ops_s
// (null without /usr/bin/redis-server), plus ratelimit_check_none_ns and ratelimit_check_bucket_ns (the
// manager's checkRateLimit with no limit, and with a global token bucket).
// On Redis both sides run the same algorithm, a fixed window of 1 s (rate-limiter-flexible's RateLimiterRedis
// is one: a counter per key that expires after `duration`), over the same 1,000 keys in the same order, with
// 64 checks in flight, on ioredis clients with Nagle off (ioredis's default). Ours gathers its writes itself,
// without auto-pipelining; rate-limiter-flexible gets the better of its client with and without it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { freePort, startRedisCluster, waitForPort } from '../../scripts/redis-cluster.mjs';
import { report } from './_measure.mjs';

const limits = { ...(await import('../../dist/esm/limits/index.js')), ...(await import('../../dist/esm/limits/redis-store.js')) };
const { RateLimiterMemory, RateLimiterRedis } = await import('rate-limiter-flexible');
const { Redis, Cluster } = await import('ioredis');

const KEYS = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
const BIG = 1e9; // never refuses: every variant does the same work on every call

/** Best-of-rounds ns per synchronous call, cycling through the keys. */
function syncNs(fn, { iterations = 2_000_000, rounds = 5, warmup = 500_000 } = {}) {
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink ^= fn(KEYS[i % 1000]) ? 1 : 0;
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink ^= fn(KEYS[i % 1000]) ? 1 : 0;
    best = Math.min(best, Number(process.hrtime.bigint() - start) / iterations);
  }
  if (sink === 2) process.stderr.write('');
  return Math.round(best * 10) / 10;
}

/** Best-of-rounds ns per awaited call. */
async function asyncNs(fn, { iterations = 300_000, rounds = 5, warmup = 100_000 } = {}) {
  for (let i = 0; i < warmup; i++) await fn(KEYS[i % 1000]);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn(KEYS[i % 1000]);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / iterations);
  }
  return Math.round(best * 10) / 10;
}

function handRolled(capacity, perSecond) {
  const buckets = new Map();
  const perMs = perSecond / 1000;
  return (key) => {
    const now = performance.now();
    let b = buckets.get(key);
    if (b === undefined) buckets.set(key, (b = { tokens: capacity, last: now }));
    b.tokens = Math.min(capacity, b.tokens + (now - b.last) * perMs);
    b.last = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };
}

const out = {};
const memory = new limits.MemoryRateLimitStore();
memory.setPolicy('user', undefined, { algorithm: 'token_bucket', capacity: BIG, refillPerSecond: BIG });
out.ratelimit_memory_ns = syncNs((key) => memory.consume('user', key, 1) <= 0);
out.ratelimit_handrolled_ns = syncNs(handRolled(BIG, BIG));
const rlf = new RateLimiterMemory({ points: BIG, duration: 1 });
out.ratelimit_rlflexible_ns = await asyncNs((key) => rlf.consume(key));

const none = new limits.RateLimitingManager({}, {}, { metrics: false });
out.ratelimit_check_none_ns = syncNs((key) => none.checkRateLimit('op', key) === undefined);
const bucket = new limits.RateLimitingManager(
  { global: { algorithm: 'token_bucket', capacity: BIG, refillPerSecond: BIG } },
  {},
  { metrics: false },
);
out.ratelimit_check_bucket_ns = syncNs((key) => bucket.checkRateLimit('op', key) === undefined);
await none.shutdown();
await bucket.shutdown();

/** Checks per second with `inFlight` concurrent callers, over `total` checks. */
async function opsPerSecond(fn, total, inFlight = 64) {
  let next = 0;
  const worker = async () => {
    while (next < total) await fn(KEYS[next++ % 1000]);
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return Math.round((total / (performance.now() - start)) * 1000);
}

/** Best of rounds for each contender, rounds interleaved so load on the machine hits both alike. */
async function interleaved(contenders, rounds = 4) {
  for (const fn of Object.values(contenders)) await opsPerSecond(fn, 5_000);
  const best = Object.fromEntries(Object.keys(contenders).map((k) => [k, 0]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) best[name] = Math.max(best[name], await opsPerSecond(fn, 30_000));
  }
  return best;
}

const STORE = {
  keyPrefix: 'bench:',
  failureMode: 'fail_closed',
  timeoutMs: 5000,
  breakerThreshold: 3,
  breakerCooldownMs: 1000,
  connectTimeoutMs: 5000,
};
const POLICY = { algorithm: 'fixed_window', limit: BIG, windowMs: 1000 };

/**
 * Our store (through the RateLimitStore interface) against rate-limiter-flexible on clients from `connect`,
 * interleaved. rate-limiter-flexible runs twice, on a client as its documentation sets one up and on one with
 * ioredis auto-pipelining (faster on a loaded machine, slower on a quiet one), and is credited with the better.
 */
async function versus(storeConfig, connect) {
  const store = new limits.RedisRateLimitStore({ ...STORE, ...storeConfig });
  await store.ready();
  store.setPolicy('user', undefined, POLICY);
  const clients = [connect({}), connect({ enableAutoPipelining: true })];
  // A window of `duration` seconds, BIG points in it.
  const [plain, pipelined] = clients.map(
    (storeClient) => new RateLimiterRedis({ storeClient, points: BIG, duration: POLICY.windowMs / 1000, keyPrefix: 'rlf' }),
  );
  try {
    const best = await interleaved({
      ours: (key) => store.consume('user', key, 1),
      plain: (key) => plain.consume(key),
      pipelined: (key) => pipelined.consume(key),
    });
    return { ours: best.ours, rlf: Math.max(best.plain, best.pipelined) };
  } finally {
    await store.close();
    for (const client of clients) client.disconnect();
  }
}

out.ratelimit_redis_ops_s = null;
out.ratelimit_rlflexible_redis_ops_s = null;
out.ratelimit_redis_cluster_ops_s = null;
out.ratelimit_rlflexible_redis_cluster_ops_s = null;
if (existsSync('/usr/bin/redis-server')) {
  const port = await freePort();
  const server = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  try {
    await waitForPort(port);
    const url = `redis://127.0.0.1:${port}`;
    const best = await versus({ type: 'redis', url }, (options) => new Redis(url, options));
    out.ratelimit_redis_ops_s = best.ours;
    out.ratelimit_rlflexible_redis_ops_s = best.rlf;
  } finally {
    server.kill('SIGKILL');
  }
  const cluster = await startRedisCluster({ masters: 3 });
  try {
    const nodes = cluster.ports.map((p) => ({ host: '127.0.0.1', port: p }));
    const best = await versus({ type: 'redis_cluster', nodes: cluster.seeds }, (options) => new Cluster(nodes, options));
    out.ratelimit_redis_cluster_ops_s = best.ours;
    out.ratelimit_rlflexible_redis_cluster_ops_s = best.rlf;
  } finally {
    await cluster.stop();
  }
}
report(out);
process.exit(0);
