/**
 * `@llmkg/production/health`: health checks. The registry and its background runners
 * (`system.components.health`), the built-in checks and factories for your own database and cache checks, and
 * the schemas of the `healthCheck` section. `api/production-health.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/health
 */
export { HealthCheckSystem } from '../health/system.js';
export { ComponentHealth } from '../health/component.js';
export { HealthStatus } from '../health/status.js';
export { registerBuiltInChecks, BUILT_IN_ESSENTIAL, type BuiltInCheckDeps, type BuiltInCheckName } from '../health/builtins.js';
export type { RateLimiterStoreHealth } from '../health/checks/rate-limiter-store.js';
export { checkKnowledgeEngineHealth } from '../health/checks/engine.js';
export { checkMemoryHealth, type MemoryCheckOptions } from '../health/checks/memory.js';
export { checkStorageHealth, type StorageCheckOptions } from '../health/checks/storage.js';
export { checkDatabaseHealth, createDatabaseCheck, type DatabaseCheckOptions } from '../health/checks/database.js';
export { checkCacheHealth, createCacheCheck, type CacheCheckOptions, type CacheStats } from '../health/checks/cache.js';
export { healthCheckConfigSchema, componentCheckConfigSchema, componentCheckOverridesSchema } from '../health/config.js';
