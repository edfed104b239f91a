import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { InvalidConfigError } from '../errors.js';
import { requireOptionalPeer } from '../internal/module-require.js';
import { parseRedisNode, type SharedStoreConfig } from './config.js';

/** An ioredis client: one server (`Redis`) or a cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/** The parts of the `ioredis` module a store uses. */
interface IoRedis {
  readonly Redis: typeof Redis;
  readonly Cluster: typeof Cluster;
}

/**
 * Loads `ioredis` the first time a Redis store needs it, so an application that keeps its limits in memory
 * never loads it (nor needs it installed). Synchronous, so a missing package stops `createProductionSystem`
 * at once with INVALID_CONFIG at `rateLimiting.store` naming the package.
 */
export function loadIoredis(): IoRedis {
  return requireOptionalPeer<IoRedis>('ioredis', 'rateLimiting.store', 'The Redis rate-limit store');
}

/** True for an ioredis `Cluster`. */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/**
 * A client for `config`. Commands never queue while disconnected (a queued take would consume after its
 * caller gave up) and are not retried by ioredis: the store applies its own timeout and the failure mode.
 * One server: the store gathers the checks of one turn of the event loop into a few writes itself (see
 * `RedisRateLimitStore`), cheaper per check than ioredis auto-pipelining, which also keeps one batch in flight
 * at a time. A cluster: auto-pipelining sends them in one write per node.
 */
export function createRedisClient(config: SharedStoreConfig): RedisClient {
  const { Redis, Cluster } = loadIoredis();
  const options: RedisOptions = {
    enableOfflineQueue: false,
    connectTimeout: config.connectTimeoutMs,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: false,
    retryStrategy: (times) => Math.min(50 * times, 1000),
  };
  if (config.type === 'redis') {
    try {
      return new Redis(config.url, options);
    } catch (error) {
      throw new InvalidConfigError('rateLimiting.store.url', (error as Error).message);
    }
  }
  const seeds = config.nodes.map((node) => parseRedisNode(node)!);
  const first = seeds[0]!;
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    // A decision waits at most timeoutMs anyway; bounded redirections keep a lost slot from holding commands long.
    maxRedirections: 4,
    retryDelayOnClusterDown: 50,
    retryDelayOnTryAgain: 50,
    retryDelayOnFailover: 50,
    slotsRefreshTimeout: config.connectTimeoutMs,
    clusterRetryStrategy: (times) => Math.min(50 * times, 1000),
    redisOptions: {
      ...options,
      enableAutoPipelining: true,
      ...(first.username !== undefined ? { username: first.username } : {}),
      ...(first.password !== undefined ? { password: first.password } : {}),
      ...(first.tls ? { tls: {} } : {}),
    },
  };
  return new Cluster(
    seeds.map((s) => ({ host: s.host, port: s.port })),
    clusterOptions,
  );
}
