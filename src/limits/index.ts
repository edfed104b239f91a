/** Rate limits (global, per operation, per user; in memory, on Redis, or in a store of your own), resource limits and permits. */
export {
  RateLimitingManager,
  type RateLimitingManagerOptions,
  type OperationPermit,
  type DatabaseConnection,
  type ResourceUsageReport,
  type LimitsHealth,
} from './manager.js';
export type { RateLimitStats, DecisionCounts, OperationDecisions, StoreFailures } from './stats.js';
export { ResourceUsage, type ResourceUsageSnapshot, type ResourceProbe } from './resource-usage.js';
export type { RateLimitStore, RateLimitStoreStatus, StoreState } from './store.js';
export { MemoryRateLimitStore, type MemoryStoreOptions, type TrackedUsers } from './memory-store.js';
export type { StoreBreakerView, StoreBreakerState } from './store-breaker.js';
export type { SavedCells } from './keyed-limiter.js';
export { FallbackRateLimitStore, type FallbackStoreOptions } from './fallback-store.js';
export type { RedisClient } from './redis-client.js';
export { RateLimitStoreUnavailableError } from './store-errors.js';
export type { LimiterState, SavedLimiter } from './limiter-state.js';
export type { RateLimitDecision, CallRateLimit } from './decision.js';
export { rateLimitOf } from './call-rate-limit.js';
export { rateLimitHeaders, type RateLimitHeaders } from './headers.js';
export {
  rateLimitConfigSchema,
  rateLimiterConfigSchema,
  failureModeSchema,
  redisStoreConfigSchema,
  redisClusterStoreConfigSchema,
  resourceLimitsSchema,
  type RateLimitConfig,
  type RateLimitConfigInput,
  type RateLimiterConfig,
  type RateLimiterConfigInput,
  type FailureMode,
  type RedisStoreConfig,
  type RedisClusterStoreConfig,
  type SharedStoreConfig,
  type ResourceLimits,
  type ResourceLimitsInput,
} from './config.js';
