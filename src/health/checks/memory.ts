import { getHeapStatistics } from 'node:v8';
import type { HealthCheck, HealthCheckResult } from '../result.js';

/** Thresholds and sources of the memory check. */
export interface MemoryCheckOptions {
  /** Fraction of the limit that is Warning. */
  warningRatio: number;
  /** Fraction of the limit that is Critical. */
  criticalRatio: number;
  /** RSS limit in bytes (a container's); unset compares the heap with V8's heap limit only. */
  limitBytes?: number;
  /** Memory figures; default `process.memoryUsage()`. */
  memoryUsage?: () => { rss: number; heapUsed: number };
  /** V8's heap limit in bytes; default from `v8.getHeapStatistics()`. */
  heapLimitBytes?: () => number;
}

/**
 * Memory against thresholds (the seed's `check_memory_health`): the higher of heap used / V8 heap limit and,
 * when a limit is known, RSS / limit. Reported as `memory:utilization` in percent.
 */
export function checkMemoryHealth(options: MemoryCheckOptions): HealthCheckResult {
  const usage = (options.memoryUsage ?? (() => process.memoryUsage()))();
  const heapLimit = (options.heapLimitBytes ?? (() => getHeapStatistics().heap_size_limit))();
  const heapRatio = heapLimit > 0 ? usage.heapUsed / heapLimit : 0;
  const rssRatio = options.limitBytes ? usage.rss / options.limitBytes : 0;
  const ratio = Math.max(heapRatio, rssRatio);
  const which = rssRatio > heapRatio ? `RSS ${usage.rss} of ${options.limitBytes} bytes` : `heap ${usage.heapUsed} of ${heapLimit} bytes`;
  const status = ratio >= options.criticalRatio ? 'critical' : ratio >= options.warningRatio ? 'warning' : 'healthy';
  return {
    status,
    measurement: 'utilization',
    componentType: 'system',
    observedValue: Math.round(ratio * 10_000) / 100,
    observedUnit: 'percent',
    ...(status === 'healthy' ? {} : { output: `memory at ${(ratio * 100).toFixed(1)}% (${which})` }),
    details: {
      rssBytes: usage.rss,
      heapUsedBytes: usage.heapUsed,
      heapLimitBytes: heapLimit,
      ...(options.limitBytes ? { limitBytes: options.limitBytes } : {}),
    },
  };
}

/** A {@link HealthCheck} of memory, for `registerComponent`. */
export function createMemoryCheck(options: MemoryCheckOptions): HealthCheck {
  return () => checkMemoryHealth(options);
}
