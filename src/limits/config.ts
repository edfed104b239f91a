import { z } from 'zod';
import { operationNameSchema } from '../recovery/names.js';
import type { FailureMode } from './snapshot.js';

const positive = z.number().positive().max(1e9);

/** Schema of one limiter's policy; `algorithm` picks the kind. */
export const rateLimiterConfigSchema = z.discriminatedUnion('algorithm', [
  z.strictObject({
    algorithm: z.literal('token_bucket'),
    /** Burst size: tokens the bucket holds when full. */
    capacity: positive,
    /** Tokens added per second (fractions allowed: 0.5 is one every two seconds). */
    refillPerSecond: positive,
  }),
  z.strictObject({
    algorithm: z.literal('sliding_window'),
    limit: positive,
    windowMs: z.number().int().min(1).max(86_400_000),
    /**
     * Sub-windows the rolling window is counted in. Every sub-window that overlaps the window counts whole,
     * so the limit is never exceeded in any rolling window; more sub-windows refuse less near the edges.
     */
    subWindows: z.number().int().min(1).max(100).default(10),
  }),
  z.strictObject({
    algorithm: z.literal('fixed_window'),
    limit: positive,
    windowMs: z.number().int().min(1).max(86_400_000),
  }),
  z.strictObject({
    algorithm: z.literal('leaky_bucket'),
    /** Requests that may wait in the bucket. */
    capacity: positive,
    /** Requests that leave per second. */
    leakPerSecond: positive,
    /** Longest a caller waits for its turn before it is refused; 0 never waits. */
    maxWaitMs: z.number().int().min(0).max(3_600_000).default(0),
  }),
]);

/** One limiter's policy. */
export type RateLimiterConfig = z.output<typeof rateLimiterConfigSchema>;

/** One limiter's policy as callers write it (defaults may be left out). */
export type RateLimiterConfigInput = z.input<typeof rateLimiterConfigSchema>;

/** What a decision does while the shared store cannot decide (see docs/limits-and-stores.md, failure modes). */
export const failureModeSchema = z.enum(['fail_open', 'fail_closed', 'local_fallback'] as const satisfies readonly FailureMode[]);

export type { FailureMode } from './snapshot.js';

// Settings every shared store (Redis, Redis Cluster) has.
const sharedStoreFields = {
  /** Prefix of every limiter key; braces are refused (they would move the Redis Cluster hash tag). */
  keyPrefix: z
    .string()
    .max(128)
    .regex(/^[^{}]*$/, 'must not contain { or } (they would move the Redis Cluster hash tag)')
    .default('production:rl:'),
  /** What to do while the store is unreachable or slow. */
  failureMode: failureModeSchema.default('local_fallback'),
  /** Longest a decision waits for the store before the call counts as a store failure. */
  timeoutMs: z.number().int().min(1).max(60_000).default(100),
  /** Consecutive store failures that open the store breaker (decisions then skip the store). */
  breakerThreshold: z.number().int().min(1).max(1000).default(3),
  /** How long the store breaker stays open before one decision probes the store again. */
  breakerCooldownMs: z.number().int().min(10).max(600_000).default(1000),
  /** Longest a (re)connection attempt may take. */
  connectTimeoutMs: z.number().int().min(10).max(60_000).default(1000),
  /** Share of every limit one replica admits under `local_fallback`, instead of `1 / rateLimiting.replicas`. */
  localShare: z.number().positive().max(1).optional(),
};

/** One Redis Cluster seed node, parsed. */
export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
}

/** Parses `host:port` or `redis[s]://[user:password@]host[:port]`; undefined when it is neither. */
export function parseRedisNode(node: string): RedisNodeAddress | undefined {
  let url: URL;
  try {
    url = new URL(node.includes('://') ? node : `redis://${node}`);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || (url.pathname !== '' && url.pathname !== '/'))
    return undefined;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    tls: url.protocol === 'rediss:',
  };
}

function isRedisUrl(url: string): boolean {
  if (url.startsWith('/')) return true; // a Unix socket
  try {
    return /^rediss?:$/.test(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** Schema of the Redis store option (one Redis server). */
export const redisStoreConfigSchema = z.strictObject({
  type: z.literal('redis'),
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: z.string().min(1).max(2048).refine(isRedisUrl, 'must be a redis:// or rediss:// URL, or the path of a Unix socket'),
  ...sharedStoreFields,
});

/** Schema of the Redis Cluster store option. */
export const redisClusterStoreConfigSchema = z.strictObject({
  type: z.literal('redis_cluster'),
  /** Seed nodes, `host:port` or `redis://[user:password@]host:port` (`rediss://` for TLS); the rest is discovered. */
  nodes: z
    .array(
      z
        .string()
        .min(1)
        .max(2048)
        .refine((n) => parseRedisNode(n) !== undefined, 'must be host:port or a redis:// or rediss:// URL'),
    )
    .min(1)
    .max(100),
  ...sharedStoreFields,
});

/** Share of every limit one replica admits while decisions are local: the store's `localShare`, else `1 / replicas`. */
export function localShareOf(config: RateLimitConfig): number {
  return (config.store.type === 'memory' ? undefined : config.store.localShare) ?? 1 / config.replicas;
}

/**
 * `policy` with every allowance (capacity, limit, rate) multiplied by `share`: K replicas that each get
 * `1 / K` of a limit admit at most the limit together. Windows and waits are unchanged.
 */
export function scalePolicy(policy: RateLimiterConfig, share: number): RateLimiterConfig {
  if (share === 1) return policy;
  switch (policy.algorithm) {
    case 'token_bucket':
      return { ...policy, capacity: policy.capacity * share, refillPerSecond: policy.refillPerSecond * share };
    case 'leaky_bucket':
      return { ...policy, capacity: policy.capacity * share, leakPerSecond: policy.leakPerSecond * share };
    case 'fixed_window':
    case 'sliding_window':
      return { ...policy, limit: policy.limit * share };
  }
}

/** Schema of the rate-limiting section. */
export const rateLimitConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /**
     * Replicas of the service that share these limits through a shared store: under `local_fallback` each one
     * admits `1 / replicas` of every limit while the store is away, so together they stay within it.
     */
    replicas: z.number().int().min(1).max(100_000).default(1),
    /** One limiter for every call; null means no global limit. */
    global: rateLimiterConfigSchema.nullable().default(null),
    /** Limiters per operation name. */
    perOperation: z.record(operationNameSchema, rateLimiterConfigSchema).default({}),
    /** Policy of every user; null means no per-user limit. Overrides: `configureUserRateLimit`. */
    perUser: rateLimiterConfigSchema.nullable().default(null),
    /** Cap on users whose limiter state is kept; the least recently seen is evicted past it. */
    maxTrackedUsers: z.number().int().min(1).max(10_000_000).default(100_000),
    /** A user unseen this long has its state dropped. */
    userIdleMs: z.number().int().min(1000).max(86_400_000).default(600_000),
    /** Longest key kept as it is; longer keys are hashed. */
    maxKeyLength: z.number().int().min(16).max(4096).default(256),
    /** Cap on operation names counted apart; later unconfigured names share the `_other` entry. */
    maxTrackedOperations: z.number().int().min(1).max(100_000).default(1000),
    /** Where limits are kept: this process (`memory`), one Redis, or a Redis Cluster. */
    store: z
      .discriminatedUnion('type', [z.strictObject({ type: z.literal('memory') }), redisStoreConfigSchema, redisClusterStoreConfigSchema])
      .prefault({ type: 'memory' }),
  })
  .refine((c) => c.replicas === 1 || c.store.type === 'memory' || c.store.localShare === undefined, {
    message: 'set rateLimiting.replicas or store.localShare, not both',
    path: ['store', 'localShare'],
  });

/** Rate-limiting section of the production config. */
export type RateLimitConfig = z.output<typeof rateLimitConfigSchema>;

/** Rate-limiting section as callers write it. */
export type RateLimitConfigInput = z.input<typeof rateLimitConfigSchema>;

/** The Redis store option, defaults filled in. */
export type RedisStoreConfig = z.output<typeof redisStoreConfigSchema>;

/** The Redis Cluster store option, defaults filled in. */
export type RedisClusterStoreConfig = z.output<typeof redisClusterStoreConfigSchema>;

/** Either shared-store option. */
export type SharedStoreConfig = RedisStoreConfig | RedisClusterStoreConfig;

/** Schema of the resource-limits section. Every limit is optional: unset means not limited. */
export const resourceLimitsSchema = z.strictObject({
  /** Memory limit in bytes, compared with `memoryMeasure` plus the call's estimate. */
  maxMemoryBytes: z.number().int().positive().optional(),
  memoryMeasure: z.enum(['rss', 'heap']).default('rss'),
  /** Process CPU use over the last sample, as a share of all available cores: 0 to 100 %. */
  maxCpuPercent: z.number().positive().max(100).optional(),
  /** Operation permits: concurrent protected operations. */
  maxActiveOperations: z.number().int().min(1).max(1_000_000).default(1000),
  /** How long a caller may wait for an operation permit; 0 refuses at once. */
  permitTimeoutMs: z.number().int().min(0).max(3_600_000).default(0),
  /** Callers that may wait for an operation permit at once; more are refused at once. */
  permitQueueSize: z.number().int().min(0).max(1_000_000).default(1000),
  /** Size of the database connection pool (`acquireDbConnection`). */
  maxDbConnections: z.number().int().min(1).max(100_000).default(10),
  dbConnectionTimeoutMs: z.number().int().min(0).max(3_600_000).default(5000),
  /** Callers that may wait for a database connection at once. */
  dbConnectionQueueSize: z.number().int().min(0).max(1_000_000).default(1000),
  /** Event-loop delay (p99 of the last sample) above which new calls are refused. */
  maxEventLoopDelayMs: z.number().positive().max(3_600_000).optional(),
  /** How often resource usage is sampled. */
  sampleIntervalMs: z.number().int().min(50).max(3_600_000).default(1000),
});

/** Resource-limits section of the production config. */
export type ResourceLimits = z.output<typeof resourceLimitsSchema>;

/** Resource-limits section as callers write it. */
export type ResourceLimitsInput = z.input<typeof resourceLimitsSchema>;
