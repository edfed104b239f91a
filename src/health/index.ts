/** Health checks: component registry, background runners, built-in checks and reports. */
export { HealthCheckSystem, type HealthCheckSystemOptions } from './system.js';
export { ComponentHealth, type ComponentHealthSnapshot, type HealthTransition } from './component.js';
export { HealthStatus, type CheckStatus } from './status.js';
export type { HealthCheck, HealthCheckResult, CheckOutcome } from './result.js';
export type { SystemHealthReport } from './report.js';
export type { HealthSummary, HealthStatusSnapshot, ComponentStatusSnapshot } from './snapshot.js';
export { registerBuiltInChecks, BUILT_IN_ESSENTIAL, type BuiltInCheckDeps, type BuiltInCheckName } from './builtins.js';
export type { RateLimiterStoreHealth } from './checks/rate-limiter-store.js';
export { checkKnowledgeEngineHealth } from './checks/engine.js';
export { checkMemoryHealth, type MemoryCheckOptions } from './checks/memory.js';
export { checkStorageHealth, type StorageCheckOptions } from './checks/storage.js';
export { checkDatabaseHealth, createDatabaseCheck, type DatabaseCheckOptions } from './checks/database.js';
export { checkCacheHealth, createCacheCheck, type CacheCheckOptions, type CacheStats } from './checks/cache.js';
export {
  healthCheckConfigSchema,
  componentCheckConfigSchema,
  componentCheckOverridesSchema,
  type HealthCheckConfig,
  type HealthCheckConfigInput,
  type ComponentCheckConfig,
  type ComponentCheckConfigInput,
} from './config.js';
