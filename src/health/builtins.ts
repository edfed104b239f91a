import type { Engine } from '../pipeline.js';
import { createEngineCheck } from './checks/engine.js';
import { createErrorRecoveryCheck } from './checks/recovery.js';
import { createEventLoopCheck } from './checks/event-loop.js';
import { createMemoryCheck } from './checks/memory.js';
import { createRateLimiterStoreCheck, type RateLimiterStoreHealth } from './checks/rate-limiter-store.js';
import { createStorageCheck } from './checks/storage.js';
import type { HealthCheckConfig } from './config.js';
import type { HealthCheckSystem } from './system.js';

/** Names of the built-in components. */
export type BuiltInCheckName = 'engine' | 'memory' | 'storage' | 'event_loop' | 'error_recovery' | 'rate_limiter_store';

/** Which built-ins decide readiness unless `essential` says otherwise. */
export const BUILT_IN_ESSENTIAL: Readonly<Record<BuiltInCheckName, boolean>> = {
  engine: true,
  memory: true,
  storage: true,
  event_loop: false,
  error_recovery: false,
  rate_limiter_store: false,
};

/** What the built-in checks read. */
export interface BuiltInCheckDeps {
  /** The protected engine (its optional `healthCheck()` / `stats()`). */
  engine?: Engine;
  /** Thresholds; default the system's own config. */
  config?: HealthCheckConfig;
  /** Names of open circuit breakers, e.g. `() => recovery.openBreakers()`; unset skips the check. */
  openBreakers?: () => readonly string[];
  /** Health of the rate limiter's shared store; unset (memory store) skips the check. */
  rateLimiterStore?: () => RateLimiterStoreHealth | Promise<RateLimiterStoreHealth>;
  /** Overrides of {@link BUILT_IN_ESSENTIAL}. */
  essential?: Partial<Record<BuiltInCheckName, boolean>>;
}

/**
 * Registers the built-in checks that apply: engine (when given), memory, storage (when `storagePath` is
 * set), event-loop delay, error recovery and the rate limiter store (when their sources are given).
 * Per-component settings come from `healthChecks.components[name]`. Nothing when health checks are disabled.
 * Returns the names registered.
 */
export function registerBuiltInChecks(health: HealthCheckSystem, deps: BuiltInCheckDeps = {}): BuiltInCheckName[] {
  const config = deps.config ?? health.config;
  if (!config.enabled) return [];
  const registered: BuiltInCheckName[] = [];
  const add = (name: BuiltInCheckName, check: Parameters<HealthCheckSystem['registerComponent']>[1]): void => {
    health.registerComponent(name, check, {}, deps.essential?.[name] ?? BUILT_IN_ESSENTIAL[name]);
    registered.push(name);
  };
  if (deps.engine) add('engine', createEngineCheck(deps.engine));
  add(
    'memory',
    createMemoryCheck({
      warningRatio: config.memoryWarningRatio,
      criticalRatio: config.memoryCriticalRatio,
      ...(config.memoryLimitBytes ? { limitBytes: config.memoryLimitBytes } : {}),
    }),
  );
  if (config.storagePath !== undefined)
    add('storage', createStorageCheck({ path: config.storagePath, minFreeBytes: config.storageMinFreeBytes }));
  add('event_loop', createEventLoopCheck({ warningMs: config.eventLoopDelayWarningMs, criticalMs: config.eventLoopDelayCriticalMs }));
  if (deps.openBreakers) add('error_recovery', createErrorRecoveryCheck(deps.openBreakers));
  if (deps.rateLimiterStore) add('rate_limiter_store', createRateLimiterStoreCheck(deps.rateLimiterStore));
  return registered;
}
