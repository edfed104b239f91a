/** Health checks: component registry, background runners, built-in checks and reports. */
export { HealthCheckSystem, type HealthCheckSystemOptions } from './system.js';
export { ComponentHealth, type ComponentHealthSnapshot, type HealthTransition } from './component.js';
export { HealthStatus, HEALTH_STATUSES, toIetfStatus, type CheckStatus, type IetfHealthStatus } from './status.js';
export { MAX_OUTPUT_LENGTH, type HealthCheck, type HealthCheckResult, type CheckOutcome } from './result.js';
export { aggregateStatus, isServing, type SystemHealthReport, type HealthSummary } from './report.js';
export { registerBuiltInChecks, BUILT_IN_ESSENTIAL, type BuiltInCheckDeps, type BuiltInCheckName } from './builtins.js';
export { checkKnowledgeEngineHealth, createEngineCheck } from './checks/engine.js';
export { checkMemoryHealth, createMemoryCheck, type MemoryCheckOptions } from './checks/memory.js';
export { checkStorageHealth, createStorageCheck, type StorageCheckOptions } from './checks/storage.js';
export { checkEventLoopHealth, createEventLoopCheck, type EventLoopCheckOptions } from './checks/event-loop.js';
export { checkErrorRecoveryHealth, createErrorRecoveryCheck } from './checks/recovery.js';
export { checkRateLimiterStoreHealth, createRateLimiterStoreCheck, type RateLimiterStoreHealth } from './checks/rate-limiter-store.js';
export { checkDatabaseHealth, createDatabaseCheck, type DatabaseCheckOptions } from './checks/database.js';
export { checkCacheHealth, createCacheCheck, type CacheCheckOptions, type CacheStats } from './checks/cache.js';
export * from './config.js';
