import { InvalidConfigError } from '../errors.js';
import type { OperationLogger } from '../pipeline.js';
import type { Clock } from '../internal/time.js';
import { localShareOf, type RateLimitConfig } from './config.js';
import { FallbackRateLimitStore } from './fallback-store.js';
import { MemoryRateLimitStore } from './memory-store.js';
import type { RedisClient } from './redis-client.js';
import { RedisRateLimitStore } from './redis-store.js';
import type { RateLimitStore } from './store.js';

/** The store a manager decides on, and the in-memory store behind it (for per-user stats, sweeps and checkpoints). */
export interface BuiltStore {
  readonly store: RateLimitStore;
  /** The memory store deciding (the store itself, or the local fallback of a shared store). */
  readonly memory: MemoryRateLimitStore | undefined;
  /** The failure-mode wrapper of a shared store. */
  readonly fallback: FallbackRateLimitStore | undefined;
  /** True when the manager created the store and closes it at shutdown. */
  readonly owned: boolean;
}

/** What {@link buildStore} needs besides the config. */
export interface StoreDependencies {
  readonly clock: Clock;
  readonly logger: OperationLogger | undefined;
  /** A store of the caller's own, used as given. */
  readonly store: RateLimitStore | undefined;
  /** An ioredis client (or Cluster) for the configured Redis store. */
  readonly redisClient: RedisClient | undefined;
}

/**
 * The store for `config.store`: memory, or Redis / Redis Cluster wrapped in its failure mode (with a local
 * store that admits `localShare` of every limit); or the caller's own store, as it is.
 */
export function buildStore(config: RateLimitConfig, deps: StoreDependencies): BuiltStore {
  const memoryOptions = {
    clock: deps.clock,
    maxTrackedUsers: config.maxTrackedUsers,
    userIdleMs: config.userIdleMs,
    maxKeyLength: config.maxKeyLength,
  };
  const storeConfig = config.store;
  if (deps.store !== undefined) {
    if (storeConfig.type !== 'memory')
      throw new InvalidConfigError(
        'rateLimiting.store',
        `a store passed as an option replaces the configured ${storeConfig.type} store; leave rateLimiting.store unset`,
      );
    const store = deps.store;
    const fallback = store instanceof FallbackRateLimitStore ? store : undefined;
    const memory =
      store instanceof MemoryRateLimitStore ? store : fallback?.local instanceof MemoryRateLimitStore ? fallback.local : undefined;
    return { store, memory, fallback, owned: false };
  }
  if (storeConfig.type === 'memory' || !config.enabled) {
    const memory = new MemoryRateLimitStore(memoryOptions);
    return { store: memory, memory, fallback: undefined, owned: true };
  }
  const redis = new RedisRateLimitStore(storeConfig, { client: deps.redisClient, maxKeyLength: config.maxKeyLength });
  const fallback = new FallbackRateLimitStore(redis, {
    ...memoryOptions,
    failureMode: storeConfig.failureMode,
    breakerThreshold: storeConfig.breakerThreshold,
    breakerCooldownMs: storeConfig.breakerCooldownMs,
    localShare: localShareOf(config),
    logger: deps.logger,
  });
  const memory = fallback.local instanceof MemoryRateLimitStore ? fallback.local : undefined;
  return { store: fallback, memory, fallback, owned: true };
}
