import { z } from 'zod';

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

/** Schema of the Redis store option. */
export const redisStoreConfigSchema = z.strictObject({
  type: z.literal('redis'),
  url: z.string().min(1),
  keyPrefix: z.string().max(128).default('production:rl:'),
  /** What to do while Redis is unreachable or slow. */
  failureMode: z.enum(['fail_open', 'fail_closed', 'local_fallback']).default('local_fallback'),
  /** Longest a decision waits for Redis before the failure mode applies. */
  timeoutMs: z.number().int().min(1).max(60_000).default(100),
  /** Consecutive store failures that open the store breaker (decisions then skip Redis). */
  breakerThreshold: z.number().int().min(1).max(1000).default(3),
  /** How long the store breaker stays open before one decision probes Redis again. */
  breakerCooldownMs: z.number().int().min(10).max(600_000).default(1000),
  /** Longest a (re)connection attempt may take. */
  connectTimeoutMs: z.number().int().min(10).max(60_000).default(1000),
});

/** Schema of the rate-limiting section. */
export const rateLimitConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** One limiter for every call; null means no global limit. */
  global: rateLimiterConfigSchema.nullable().default(null),
  /** Limiters per operation name. */
  perOperation: z.record(z.string().min(1).max(256), rateLimiterConfigSchema).default({}),
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
  store: z.discriminatedUnion('type', [z.strictObject({ type: z.literal('memory') }), redisStoreConfigSchema]).prefault({ type: 'memory' }),
});

/** Rate-limiting section of the production config. */
export type RateLimitConfig = z.output<typeof rateLimitConfigSchema>;

/** Rate-limiting section as callers write it. */
export type RateLimitConfigInput = z.input<typeof rateLimitConfigSchema>;

/** The Redis store option, defaults filled in. */
export type RedisStoreConfig = z.output<typeof redisStoreConfigSchema>;

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
