import type { HealthCheck, HealthCheckResult } from '../result.js';

/** What the rate limiter reports about its store (memory or Redis). */
export interface RateLimiterStoreHealth {
  /** False while the store is unreachable. */
  healthy: boolean;
  /** `memory` or `redis`. */
  type?: string;
  /** Round-trip of the last ping, in milliseconds. */
  latencyMs?: number;
  /** The last store error. */
  error?: string;
  /** What decisions do while the store is down (`fail_open`, `fail_closed`, `local_fallback`). */
  failureMode?: string;
}

/** The rate limiter's store: an unreachable store is a failure. */
export async function checkRateLimiterStoreHealth(
  storeHealth: () => RateLimiterStoreHealth | Promise<RateLimiterStoreHealth>,
): Promise<HealthCheckResult> {
  const store = await storeHealth();
  if (!store.healthy)
    throw new Error(`rate limiter store${store.type ? ` (${store.type})` : ''} unreachable${store.error ? `: ${store.error}` : ''}`);
  return {
    status: 'healthy',
    measurement: store.latencyMs !== undefined ? 'responseTime' : 'status',
    componentType: 'datastore',
    ...(store.latencyMs !== undefined ? { observedValue: store.latencyMs, observedUnit: 'ms' } : {}),
    details: { ...store },
  };
}

/** A {@link HealthCheck} of the rate limiter's store, for `registerComponent`. */
export function createRateLimiterStoreCheck(storeHealth: () => RateLimiterStoreHealth | Promise<RateLimiterStoreHealth>): HealthCheck {
  return () => checkRateLimiterStoreHealth(storeHealth);
}
