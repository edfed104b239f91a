/**
 * `@llmkg/production/limits`: rate limits (global, per operation, per user; in memory, on Redis, or in a store
 * of your own), resource limits and permits. `api/production-limits.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/limits
 */
export { RateLimitingManager } from '../limits/manager.js';
export { ResourceUsage } from '../limits/resource-usage.js';
export { MemoryRateLimitStore, type MemoryStoreOptions, type TrackedUsers } from '../limits/memory-store.js';
export type { StoreBreakerView, StoreBreakerState } from '../limits/store-breaker.js';
export { FallbackRateLimitStore, type FallbackStoreOptions } from '../limits/fallback-store.js';
export { RateLimitStoreUnavailableError } from '../limits/store-errors.js';
export { rateLimitOf } from '../limits/call-rate-limit.js';
export { rateLimitHeaders, type RateLimitHeaders } from '../limits/headers.js';
export {
  rateLimitConfigSchema,
  rateLimiterConfigSchema,
  failureModeSchema,
  redisStoreConfigSchema,
  redisClusterStoreConfigSchema,
  resourceLimitsSchema,
} from '../limits/config.js';
export { RATE_LIMIT_CHECKPOINT } from '../create.js';
