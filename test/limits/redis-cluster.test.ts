import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type LocalRedisCluster } from '../../scripts/redis-cluster.mjs';
import { RateLimitedError } from '../../src/errors.js';
import type { Writable } from 'node:stream';
import {
  RateLimitingManager,
  RateLimitStoreUnavailableError,
  type RateLimitConfigInput,
  type RateLimiterConfigInput,
} from '../../src/limits/index.js';
import { RedisRateLimitStore } from '../../src/limits/redis-store.js';
import { createProductionSystem, errorResponse, setRateLimitHeaders } from '../../src/index.js';
import { eventually } from '../support/helpers.js';
import { ALGORITHM_CASES, expectRateLimitHeaders, type SeenResponse } from '../support/rate-limit-headers.js';
import { errors, Replica, total, type Tally } from './support/replicas.js';

// A real 3-master Redis Cluster on loopback (free ports, temp dirs), started and killed by this file.
let cluster: LocalRedisCluster;
let admins: Redis[];
/** Hash-slot ranges of each master: [from, to, node index]. */
let ranges: [number, number, number][];

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, nodeTimeoutMs: 1000 });
  admins = cluster.ports.map((port) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: true }));
  for (const admin of admins) {
    admin.on('error', () => undefined);
    await admin.connect();
  }
  const slots = (await admins[0]!.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
  ranges = slots.map(([from, to, [, port]]) => [from, to, cluster.ports.indexOf(port)]);
}, 90_000);
afterAll(async () => {
  for (const admin of admins ?? []) admin.disconnect();
  await cluster?.stop();
});

/** The master that owns `key`'s slot. */
async function ownerOf(key: string): Promise<number> {
  const slot = await admins[0]!.cluster('KEYSLOT', key);
  return ranges.find(([from, to]) => slot >= from && slot <= to)![2];
}

/** `perNode` user ids for each master, from their limiter keys' hash slots (`{u:<id>}`). */
async function usersOnEveryNode(prefix: string, perNode: number): Promise<string[][]> {
  const byNode: string[][] = cluster.ports.map(() => []);
  for (let i = 0; byNode.some((u) => u.length < perNode); i++) {
    const id = `${prefix}-${i}`;
    const node = await ownerOf(`{u:${id}}`);
    if (byNode[node]!.length < perNode) byNode[node]!.push(id);
  }
  return byNode;
}

async function flushEverything(): Promise<void> {
  await Promise.all(admins.filter((a) => a.status === 'ready').map(async (a) => (await a.flushall(), await a.script('FLUSH'))));
}

const POLICIES: [string, RateLimiterConfigInput, number][] = [
  ['token_bucket', { algorithm: 'token_bucket', capacity: 12, refillPerSecond: 0.0001 }, 12],
  ['fixed_window', { algorithm: 'fixed_window', limit: 12, windowMs: 86_400_000 }, 12],
  ['sliding_window', { algorithm: 'sliding_window', limit: 12, windowMs: 86_400_000, subWindows: 10 }, 12],
  // No waiting allowed: one admitted per drain (a unit leaves every 10,000 s).
  ['leaky_bucket', { algorithm: 'leaky_bucket', capacity: 12, leakPerSecond: 0.0001, maxWaitMs: 0 }, 1],
];

function clusterStore(extra: Record<string, unknown> = {}): RateLimitConfigInput['store'] {
  return {
    type: 'redis_cluster',
    nodes: cluster.seeds,
    keyPrefix: 'rl:',
    failureMode: 'fail_closed',
    timeoutMs: 3000,
    connectTimeoutMs: 5000,
    ...extra,
  };
}

const replicas: Replica[] = [];
const managers: RateLimitingManager[] = [];
afterEach(async () => {
  await Promise.all(replicas.splice(0).map((r) => r.stop()));
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
});

describe('Redis Cluster store', () => {
  it('K=4 processes share per-user limits over every master from a cold start, exactly, for every algorithm', async () => {
    await flushEverything();
    const users = (await usersOnEveryNode('cold', 8)).flat();
    const configs = Object.fromEntries(
      POLICIES.map(([name, policy]) => [name, { perUser: policy, store: clusterStore({ keyPrefix: `cold:${name}:` }) }]),
    );
    replicas.push(...(await Promise.all([1, 2, 3, 4].map(() => Replica.start(configs)))));
    for (const [name, , limit] of POLICIES) {
      // All four at once, 30 calls per user each: 120 calls per user for a limit of 12 (1 for the leaky bucket).
      const tallies = await Promise.all(replicas.map((r) => r.burst(name, users, 30)));
      expect(errors(tallies), name).toEqual([]);
      for (const user of users) expect(total(tallies, user), `${name} ${user}`).toBe(limit);
      expect(
        tallies.reduce((n, t) => n + (t.totals.unavailable ?? 0), 0),
        name,
      ).toBe(0);
    }
    const stats = await Promise.all(replicas.map((r) => r.stats()));
    // Every master started without the scripts: they were sent whole (EVAL) on each, then run by SHA.
    const loads = stats.reduce((n, s) => n + Number(s.token_bucket!.redis!.scriptLoads), 0);
    expect(loads).toBeGreaterThanOrEqual(3);
    expect(stats.every((s) => s.token_bucket!.store === 'redis' && s.token_bucket!.redis!.type === 'redis_cluster')).toBe(true);
  }, 120_000);

  it('accepts an ioredis Cluster as redisClient: 288 decisions from a cold start, none failed, limits exact', async () => {
    await flushEverything();
    const users = (await usersOnEveryNode('client', 4)).flat();
    const clients = [0, 1, 2].map(() => new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port }))));
    try {
      for (const client of clients) {
        const m = new RateLimitingManager(
          { perUser: { algorithm: 'fixed_window', limit: 5, windowMs: 86_400_000 }, store: clusterStore({ keyPrefix: 'client:' }) },
          {},
          { metrics: false, redisClient: client },
        );
        managers.push(m);
        await m.connect();
      }
      const outcomes = await Promise.all(
        Array.from({ length: 288 }, (_, i) =>
          Promise.resolve(managers[i % 3]!.checkRateLimit('op', users[i % users.length])).then(
            () => 'allowed',
            (e: unknown) =>
              e instanceof RateLimitStoreUnavailableError
                ? `unavailable: ${e.reason}`
                : e instanceof RateLimitedError
                  ? 'limited'
                  : String(e),
          ),
        ),
      );
      expect(outcomes.filter((o) => o !== 'allowed' && o !== 'limited')).toEqual([]);
      expect(outcomes.filter((o) => o === 'allowed')).toHaveLength(5 * users.length);
      expect(managers[0]!.getRateLimitStats().redis).toMatchObject({ type: 'redis_cluster', state: 'redis' });
    } finally {
      for (const client of clients) client.disconnect();
    }
  }, 60_000);

  it('sends the checks of one tick in one write per master, each to the master that owns its key', async () => {
    await flushEverything();
    const users = (await usersOnEveryNode('writes', 8)).flat();
    const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    const store = new RedisRateLimitStore(
      {
        type: 'redis_cluster',
        nodes: cluster.seeds,
        keyPrefix: 'writes:',
        failureMode: 'fail_closed',
        timeoutMs: 3000,
        breakerThreshold: 3,
        breakerCooldownMs: 1000,
        connectTimeoutMs: 5000,
      },
      { client },
    );
    try {
      await store.ready();
      store.setPolicy('user', undefined, { algorithm: 'fixed_window', limit: 2, windowMs: 86_400_000 });
      // Every master connected and holding the script: no NOSCRIPT round trip below.
      expect(await Promise.all(users.map((u) => store.consume('user', u, 1)))).toEqual(users.map(() => 0));
      const writes = client.nodes('master').map((node) => {
        const socket = node.stream as Writable & { _writev: (...args: unknown[]) => void };
        const counter = { count: 0 };
        const [write, writev] = [socket._write.bind(socket), socket._writev.bind(socket)];
        socket._write = (...args) => (counter.count++, write(...args));
        socket._writev = (...args: unknown[]) => (counter.count++, writev(...args));
        return counter;
      });
      // 24 checks, 8 on each master: one write to each (without gathering, 8 each).
      const verdicts = await Promise.all(users.map((u) => store.consume('user', u, 1)));
      expect(writes.map((w) => w.count)).toEqual([1, 1, 1]);
      expect(verdicts).toEqual(users.map(() => 0));
      // Each decision landed on the user's own key, once: the next take of each user is refused.
      expect((await Promise.all(users.map((u) => store.consume('user', u, 1)))).every((v) => v > 0)).toBe(true);
    } finally {
      await store.close();
      client.disconnect();
    }
  }, 60_000);

  it('a single-server URL pointing at a cluster node fails with an error that says to configure redis_cluster', async () => {
    const [elsewhere] = (await usersOnEveryNode('moved', 1)).filter((_, node) => node !== 0).flat();
    const m = new RateLimitingManager(
      {
        perUser: { algorithm: 'token_bucket', capacity: 5, refillPerSecond: 1 },
        store: { type: 'redis', url: `redis://127.0.0.1:${cluster.ports[0]}`, failureMode: 'fail_closed', timeoutMs: 2000 },
      },
      {},
      { metrics: false },
    );
    managers.push(m);
    await m.connect();
    const error = await Promise.resolve(m.checkRateLimit('op', elsewhere)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitStoreUnavailableError);
    expect((error as RateLimitStoreUnavailableError).reason).toMatch(/^MOVED .*type: 'redis_cluster'/);
  }, 30_000);

  it('a master killed mid-run: the replicas together stay within each limit (local share), then go back to the cluster', async () => {
    await flushEverything();
    const K = 4;
    const limit = 20;
    const config: RateLimitConfigInput = {
      perUser: { algorithm: 'fixed_window', limit, windowMs: 86_400_000 },
      replicas: K,
      store: clusterStore({
        keyPrefix: 'kill:',
        failureMode: 'local_fallback',
        timeoutMs: 500,
        breakerThreshold: 2,
        breakerCooldownMs: 300,
      }),
    };
    replicas.push(...(await Promise.all(Array.from({ length: K }, () => Replica.start({ main: config })))));
    const burst = async (users: string[]): Promise<Tally[]> => Promise.all(replicas.map((r) => r.burst('main', users, limit)));
    const [before, during, after, probes] = (await Promise.all(
      ['before', 'during', 'after', 'probe'].map(async (p) => (await usersOnEveryNode(p, p === 'probe' ? 1 : 3)).flat()),
    )) as [string[], string[], string[], string[]];

    const warm = await burst(before);
    for (const user of before) expect(total(warm, user)).toBe(limit);

    await cluster.nodes[0]!.stop('SIGKILL');
    // The others mark it failed after the node timeout; without full slot coverage the cluster refuses every
    // key. A failed call is decided locally at once, on the replica's share.
    await eventually(async () => (await cluster.nodes[1]!.state()) === 'fail', {
      what: 'the others to mark the killed master failed',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    const inFallback = async () => {
      await Promise.all(replicas.map((r) => r.burst('main', ['probe'], 3, 1)));
      const stats = await Promise.all(replicas.map((r) => r.stats()));
      return stats.every((s) => s.main!.store === 'fallback' && s.main!.redis!.breaker !== 'closed');
    };
    await eventually(inFallback, { what: 'every replica on its local fallback', timeoutMs: 20_000, intervalMs: 100 });
    const outage = await burst(during);
    expect(errors(outage)).toEqual([]);
    for (const user of during) {
      // Each replica admits its share (limit / K); together, never more than the limit.
      expect(total(outage, user)).toBeLessThanOrEqual(limit);
      expect(total(outage, user)).toBeGreaterThan(0);
    }
    expect(Math.max(...outage.map((t) => t.slowestMs))).toBeLessThan(3000);

    await cluster.nodes[0]!.start();
    await cluster.waitUntilOk(30_000);
    // Back once every replica decides on every master again, twice in a row (reconnections settle unevenly).
    let steady = 0;
    const back = async () => {
      const tallies = await Promise.all(replicas.map((r) => r.burst('main', probes, 1, probes.length)));
      const stats = await Promise.all(replicas.map((r) => r.stats()));
      const ok =
        tallies.every((t) => (t.totals.unavailable ?? 0) === 0) &&
        stats.every((s) => s.main!.store === 'redis' && s.main!.redis!.breaker === 'closed');
      steady = ok ? steady + 1 : 0;
      return steady >= 2;
    };
    await eventually(back, { what: 'every replica back on every master, twice in a row', timeoutMs: 30_000, intervalMs: 200 });
    const recovered = await burst(after);
    for (const user of after) expect(total(recovered, user)).toBe(limit);
  }, 180_000);
  it.each(ALGORITHM_CASES.map((c) => [c.name, c] as const))(
    'RateLimit and RateLimit-Policy headers on a Cluster, %s: on admission and on refusal, a user on each master',
    async (_, c) => {
      // Issue 21, finding 3: the decision of an admitted call (ctx) and of a refusal (the error) give both fields.
      const s = createProductionSystem(
        {},
        { rateLimiting: { perUser: c.policy, store: clusterStore({ keyPrefix: `hdr-${c.name}:` }) } },
        { env: {}, startHealthChecks: false },
      );
      try {
        await s.components.limits.connect();
        for (const user of (await usersOnEveryNode(`hdr-${c.name}`, 1)).flat()) {
          const seen: SeenResponse[] = [];
          for (let i = 0; i < c.admitted + 2; i++) {
            const headers: Record<string, string> = {};
            const target = { setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value) };
            try {
              await s.executeProtectedOperation('op', user, (ctx) => Promise.resolve(setRateLimitHeaders(target, ctx)));
              seen.push({ status: 200, headers });
            } catch (error) {
              const answer = errorResponse(error);
              seen.push({ status: answer.status, headers: answer.headers });
            }
          }
          expectRateLimitHeaders(seen, c);
        }
      } finally {
        await s.shutdown();
      }
    },
    60_000,
  );
});
