import type { HealthCheck, HealthCheckResult } from '../result.js';

/** Hit and miss counts, or a ready hit rate in [0, 1]. */
export type CacheStats = { hits: number; misses: number } | { hitRate: number; requests?: number };

/** How to observe a cache. */
export interface CacheCheckOptions {
  /** A round-trip to the cache; throws when unreachable. Optional for in-process caches. */
  ping?: (signal: AbortSignal) => Promise<unknown>;
  /** Current statistics. */
  stats?: () => CacheStats | Promise<CacheStats>;
  /** Hit rate below which the cache is Warning; default 0.5. */
  minHitRate?: number;
  /** Fewer requests than this say nothing about the hit rate yet; default 100. */
  minRequests?: number;
}

/** Cache reachability and hit rate (the seed's `check_cache_health`): `cache:hitRate` in percent. */
export async function checkCacheHealth(options: CacheCheckOptions, signal: AbortSignal): Promise<HealthCheckResult> {
  if (options.ping) await options.ping(signal);
  if (!options.stats) return { status: 'healthy', componentType: 'datastore' };
  const stats = await options.stats();
  const requests = 'hits' in stats ? stats.hits + stats.misses : stats.requests;
  const hitRate = 'hits' in stats ? (requests && requests > 0 ? stats.hits / requests : 1) : stats.hitRate;
  const minHitRate = options.minHitRate ?? 0.5;
  const enough = requests === undefined || requests >= (options.minRequests ?? 100);
  const low = enough && hitRate < minHitRate;
  return {
    status: low ? 'warning' : 'healthy',
    measurement: 'hitRate',
    componentType: 'datastore',
    observedValue: Math.round(hitRate * 10_000) / 100,
    observedUnit: 'percent',
    ...(low ? { output: `cache hit rate ${(hitRate * 100).toFixed(1)}% below ${(minHitRate * 100).toFixed(1)}%` } : {}),
    details: { ...stats },
  };
}

/** A {@link HealthCheck} of a cache, for `registerComponent`. */
export function createCacheCheck(options: CacheCheckOptions): HealthCheck {
  return (signal) => checkCacheHealth(options, signal);
}
